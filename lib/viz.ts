// Charts for the notebooks: Vega-Lite specs rendered to SVG text in Node, headless (vega's View
// with renderer "none", no browser, no canvas). An SVG output looks the same in JupyterLab, in
// the HTML that nbconvert writes and on a code host's notebook viewer, which runs no JavaScript.
// In a notebook: `tslab.display.svg(await graficoSvg(barras(linhas, "uf", "total")))`.

// tslab resolves modules the Node10 way, which ignores package.json "exports", and vega-lite
// publishes its types only there; in a notebook these types degrade to `any`, under the kit's
// tsc (bundler resolution) they are checked. Notebooks import the types from this file.
// biome-ignore lint/suspicious/noTsIgnore: an error under tslab only, none under tsc, so @ts-expect-error would fail tsc
// @ts-ignore -- see above: unresolvable under tslab only
import type { Config, TopLevelSpec } from "vega-lite";

export type { Config, TopLevelSpec };

import type { NumberLocale, TimeLocale } from "vega";

type Vega = typeof import("vega");
/** The part of vega-lite this module calls (its types are not reachable from tslab, see above). */
interface VegaLite {
  compile(spec: TopLevelSpec, opts?: { logger?: unknown; fieldTitle?: (def: DefCampo) => string }): { spec: object };
}

/** What vega-lite hands its field title formatter. */
interface DefCampo {
  field?: string;
  aggregate?: unknown;
  bin?: unknown;
  timeUnit?: unknown;
}

// Vega and vega-lite are ES modules with a top-level await (vega-canvas probes for the optional
// `canvas` package), so require() fails with ERR_REQUIRE_ASYNC_MODULE. tslab compiles lib files
// to CommonJS, where TypeScript would turn `import()` into require(); a function built from a
// string keeps a real dynamic import in both CommonJS (tslab) and ESM (tsx, tests).
const importarModulo = new Function("especificador", "return import(especificador)") as (especificador: string) => Promise<unknown>;

/** pt-BR number format: decimal comma, dot for thousands, Brazilian real. */
const formatoNumeroPtBr: NumberLocale = {
  decimal: ",",
  thousands: ".",
  grouping: [3],
  currency: ["R$ ", ""],
  // A plain hyphen, as Brazilian texts and spreadsheets write it (d3's default is U+2212).
  minus: "-",
};

/** pt-BR date format: Portuguese month and weekday names, day/month/year. */
const formatoTempoPtBr: TimeLocale = {
  dateTime: "%A, %e de %B de %Y, %X",
  date: "%d/%m/%Y",
  time: "%H:%M:%S",
  periods: ["AM", "PM"],
  days: ["domingo", "segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira", "sábado"],
  shortDays: ["dom", "seg", "ter", "qua", "qui", "sex", "sáb"],
  months: ["janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro", "novembro", "dezembro"],
  shortMonths: ["jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez"],
};

let carregados: Promise<{ vega: Vega; vegaLite: VegaLite }> | undefined;

/** Loads vega and vega-lite once and makes pt-BR the default number and time locale. */
function carregar(): Promise<{ vega: Vega; vegaLite: VegaLite }> {
  carregados ??= (async () => {
    const vega = (await importarModulo("vega")) as Vega;
    const vegaLite = (await importarModulo("vega-lite")) as VegaLite;
    vega.formatLocale(formatoNumeroPtBr);
    vega.timeFormatLocale(formatoTempoPtBr);
    return { vega, vegaLite };
  })();
  carregados.catch(() => {
    carregados = undefined; // a failed load (e.g. missing npm install) may be retried
  });
  return carregados;
}

/** The kit's colours: one accent, one highlight for "the thing to look at", neutral greys. */
export const cores = {
  principal: "#2563eb",
  destaque: "#dc2626",
  neutro: "#9ca3af",
  contorno: "#6b7280",
  preenchimento: "#f3f4f6",
  texto: "#1f2937",
  categorias: ["#2563eb", "#f59e0b", "#10b981", "#8b5cf6", "#ec4899", "#14b8a6", "#f97316", "#64748b", "#84cc16", "#0ea5e9"],
};

const fonte = "Helvetica, Arial, sans-serif";

/** The config merged under every spec (the spec's own `config` wins, key by key). */
const tema: Config = {
  background: "white",
  font: fonte,
  padding: 8,
  locale: { number: formatoNumeroPtBr, time: formatoTempoPtBr },
  // Text marks and tooltips without a format get thousands separators too (12.345,5).
  numberFormat: ",~f",
  view: { continuousWidth: 640, continuousHeight: 320, stroke: null },
  title: { anchor: "start", fontSize: 16, fontWeight: "bold", color: cores.texto, subtitleColor: "#4b5563", offset: 12 },
  axis: {
    labelColor: "#374151",
    labelFontSize: 11,
    titleColor: cores.texto,
    titleFontSize: 12,
    titleFontWeight: "normal",
    gridColor: "#e5e7eb",
    domainColor: cores.neutro,
    tickColor: cores.neutro,
  },
  legend: { labelColor: "#374151", labelFontSize: 11, titleColor: cores.texto, titleFontSize: 12, titleFontWeight: "normal" },
  header: { labelFontSize: 12, titleFontSize: 13 },
  mark: { color: cores.principal },
  range: { category: cores.categorias },
};

const LARGURA_PADRAO = 640;

type Objeto = Record<string, unknown>;

const ehObjeto = (v: unknown): v is Objeto => typeof v === "object" && v !== null && !Array.isArray(v);

/** Deep merge of plain objects; `cima` wins; arrays and other values are replaced, not merged. */
function mesclar(base: Objeto, cima: Objeto): Objeto {
  const out: Objeto = { ...base };
  for (const [k, v] of Object.entries(cima)) {
    out[k] = ehObjeto(v) && ehObjeto(out[k]) ? mesclar(out[k] as Objeto, v) : v;
  }
  return out;
}

const MARCAS = new Set([
  "arc",
  "area",
  "bar",
  "boxplot",
  "circle",
  "errorband",
  "errorbar",
  "geoshape",
  "image",
  "line",
  "point",
  "rect",
  "rule",
  "square",
  "text",
  "tick",
  "trail",
]);
const TIPOS = new Set(["quantitative", "nominal", "ordinal", "temporal", "geojson"]);

/**
 * Checks the mistakes vega-lite reports obscurely or not at all (an unknown mark, an unknown
 * field type, a field missing from inline data), so the student reads what to fix.
 */
function validar(spec: Objeto, dadosHerdados: unknown, caminho: string): void {
  const dados = ehObjeto(spec.data) ? spec.data : dadosHerdados;
  const marca = ehObjeto(spec.mark) ? spec.mark.type : spec.mark;
  if (marca !== undefined && !MARCAS.has(marca as string)) {
    throw new Error(`${caminho}marca "${String(marca)}" desconhecida; use uma destas: ${[...MARCAS].join(", ")}`);
  }
  if (ehObjeto(spec.encoding)) {
    // A field is only checked against inline rows when nothing upstream can create fields.
    const valores = ehObjeto(dados) && Array.isArray(dados.values) && !dados.format ? (dados.values as unknown[]) : undefined;
    let colunas: string[] | undefined;
    if (valores && valores.length > 0 && valores.every(ehObjeto) && spec.transform === undefined) {
      const nomes = new Set<string>();
      for (const v of valores as Objeto[]) for (const k in v) nomes.add(k);
      colunas = [...nomes];
    }
    for (const [canal, def] of Object.entries(spec.encoding)) {
      for (const d of Array.isArray(def) ? def : [def]) {
        if (!ehObjeto(d)) continue;
        if (d.type !== undefined && !TIPOS.has(d.type as string)) {
          throw new Error(
            `${caminho}o canal "${canal}" tem type "${String(d.type)}"; use quantitative, nominal, ordinal, temporal ou geojson`,
          );
        }
        const campo = d.field;
        if (colunas && typeof campo === "string" && !/[.[\]\\]/.test(campo) && !colunas.includes(campo)) {
          throw new Error(`${caminho}o canal "${canal}" usa o campo "${campo}", que não existe nos dados (colunas: ${colunas.join(", ")})`);
        }
      }
    }
  }
  for (const chave of ["layer", "hconcat", "vconcat", "concat"]) {
    const filhos = spec[chave];
    if (Array.isArray(filhos)) {
      for (const [i, f] of filhos.entries()) {
        if (ehObjeto(f)) validar(f, spec.transform === undefined ? dados : undefined, `${caminho}(em ${chave}[${i}]) `);
      }
    }
  }
  if (ehObjeto(spec.spec)) validar(spec.spec, undefined, `${caminho}(em spec) `);
}

const AGREGACOES: Record<string, string> = {
  sum: "soma",
  mean: "média",
  average: "média",
  median: "mediana",
  min: "mínimo",
  max: "máximo",
  distinct: "distintos",
  valid: "válidos",
  missing: "ausentes",
  stdev: "desvio padrão",
  variance: "variância",
  q1: "1º quartil",
  q3: "3º quartil",
  product: "produto",
};
// Longest first, so "dayofyear" is read before "day" and "date".
const PARTES_TEMPO: [string, string][] = [
  ["milliseconds", "milissegundo"],
  ["dayofyear", "dia do ano"],
  ["quarter", "trimestre"],
  ["minutes", "minuto"],
  ["seconds", "segundo"],
  ["hours", "hora"],
  ["month", "mês"],
  ["year", "ano"],
  ["week", "semana"],
  ["date", "dia"],
  ["day", "dia da semana"],
];

/** Axis and legend titles in Portuguese when the spec gives none: "soma de valor", "dia (ano-mês)". */
function tituloCampo(def: DefCampo): string {
  const campo = def.field ?? "";
  if (def.aggregate === "count") return "contagem";
  if (def.bin) return `${campo} (faixas)`;
  const tu = ehObjeto(def.timeUnit) ? def.timeUnit.unit : def.timeUnit;
  if (typeof tu === "string" && !tu.startsWith("binned")) {
    let resto = tu.replace(/^utc/, "");
    const partes: string[] = [];
    while (resto) {
      const achada = PARTES_TEMPO.find(([en]) => resto.startsWith(en));
      if (!achada) return campo;
      partes.push(achada[1]);
      resto = resto.slice(achada[0].length);
    }
    return `${campo} (${partes.join("-")})`;
  }
  if (typeof def.aggregate === "string") return `${AGREGACOES[def.aggregate] ?? def.aggregate} de ${campo}`;
  return campo;
}

/** Vega-lite's warnings, kept to report them with the chart's title rather than on their own. */
function registrador(avisos: string[]) {
  let nivel = 2;
  const guardar = (...args: unknown[]) => {
    avisos.push(args.map(String).join(" "));
  };
  const self = {
    level(n?: number) {
      if (n === undefined) return nivel;
      nivel = n;
      return self;
    },
    error(...args: unknown[]): never {
      throw new Error(args.map(String).join(" "));
    },
    warn(...args: unknown[]) {
      guardar(...args);
      return self;
    },
    info() {
      return self;
    },
    debug() {
      return self;
    },
  };
  return self;
}

/**
 * Renders a Vega-Lite spec to SVG text: white background, the kit's theme (`tema`) under the
 * spec's own config, width 640 unless the spec sets one, pt-BR numbers and dates.
 * Throws an Error in Portuguese naming the problem when the spec is invalid.
 */
export async function graficoSvg(spec: TopLevelSpec): Promise<string> {
  if (!ehObjeto(spec)) throw new Error("graficoSvg: a especificação do gráfico precisa ser um objeto Vega-Lite");
  const s = spec as Objeto;
  const nome = typeof s.title === "string" ? `gráfico "${s.title}"` : "gráfico";
  try {
    validar(s, undefined, "");
  } catch (e) {
    throw new Error(`Especificação inválida no ${nome}: ${(e as Error).message}`);
  }
  const completo: Objeto = { ...s, config: mesclar(tema as Objeto, ehObjeto(s.config) ? s.config : {}) };
  const simples = s.mark !== undefined || Array.isArray(s.layer);
  if (simples && completo.width === undefined) completo.width = LARGURA_PADRAO;

  const { vega, vegaLite } = await carregar();
  const avisos: string[] = [];
  let vegaSpec: object;
  try {
    vegaSpec = vegaLite.compile(completo as unknown as TopLevelSpec, { logger: registrador(avisos), fieldTitle: tituloCampo }).spec;
  } catch (e) {
    throw new Error(`Especificação inválida no ${nome}: ${(e as Error).message}`, { cause: e });
  }
  for (const aviso of avisos) console.warn(`Aviso do Vega-Lite no ${nome}: ${aviso}`);
  let view: InstanceType<Vega["View"]> | undefined;
  try {
    view = new vega.View(vega.parse(vegaSpec as Parameters<Vega["parse"]>[0]), { renderer: "none" });
    return await view.toSVG();
  } catch (e) {
    throw new Error(`Não consegui desenhar o ${nome}: ${(e as Error).message}`, { cause: e });
  } finally {
    view?.finalize();
  }
}

/**
 * Rows with the named columns turned into numbers where they hold numeric text or bigint:
 * pg returns numeric, bigint and count(*) as strings, which a chart would sort as text.
 */
function comNumeros(dados: readonly object[], campos: string[]): Objeto[] {
  return dados.map((linha) => {
    const out: Objeto = { ...(linha as Objeto) };
    for (const c of campos) {
      const v = out[c];
      if (typeof v === "bigint") out[c] = Number(v);
      else if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) out[c] = Number(v);
    }
    return out;
  });
}

export interface OpcoesBarras {
  titulo?: string;
  /** Bar colour; the theme's accent by default. */
  cor?: string;
  /** Categories on the vertical axis (long names, many categories). */
  horizontal?: boolean;
  /** d3-format of the values, in pt-BR: ",.1f" → 1.234,5; "$,.2f" → R$ 1.234,50; ".0%" → 12%. */
  formatoY?: string;
  tituloX?: string;
  tituloY?: string;
  /** Writes each bar's value at its end (for a few bars). */
  rotulos?: boolean;
}

/** A bar chart of `y` (number) per `x` (category), in the rows' order. */
export function barras(dados: object[], x: string, y: string, opts: OpcoesBarras = {}): TopLevelSpec {
  // Short category names read best level; long ones or many bars get tilted, and labels that
  // would still overlap are skipped.
  let maiorRotulo = 0;
  for (const linha of dados) maiorRotulo = Math.max(maiorRotulo, String((linha as Objeto)[x]).length);
  const cabe = opts.horizontal || maiorRotulo * 7 <= LARGURA_PADRAO / Math.max(dados.length, 1);
  const sobrepoe = dados.length > 40; // vega's overlap test is coarse for tilted text: only for many bars
  const eixoCat = { labelAngle: cabe ? 0 : -45, labelOverlap: sobrepoe };
  const cat = {
    field: x,
    type: "nominal",
    sort: null,
    title: opts.tituloX ?? x,
    axis: opts.horizontal ? { labelOverlap: sobrepoe } : eixoCat,
  };
  const val = { field: y, type: "quantitative", title: opts.tituloY ?? y, ...(opts.formatoY ? { axis: { format: opts.formatoY } } : {}) };
  const encoding = opts.horizontal ? { y: cat, x: val } : { x: cat, y: val };
  const barra = { mark: { type: "bar", color: opts.cor ?? cores.principal, tooltip: true } };
  const rotulo = {
    mark: opts.horizontal
      ? { type: "text", align: "left", baseline: "middle", dx: 3, color: cores.texto }
      : { type: "text", align: "center", baseline: "bottom", dy: -3, color: cores.texto },
    encoding: { text: { field: y, type: "quantitative", ...(opts.formatoY ? { format: opts.formatoY } : {}) } },
  };
  return {
    ...(opts.titulo ? { title: opts.titulo } : {}),
    width: LARGURA_PADRAO,
    data: { values: comNumeros(dados, [y]) },
    encoding,
    layer: opts.rotulos ? [barra, rotulo] : [barra],
  } as TopLevelSpec;
}

export interface OpcoesLinha {
  titulo?: string;
  cor?: string;
  /**
   * Vega-Lite time unit to group by ("yearmonth", "yearmonthdate", "year", "hours"...);
   * the values of `y` in each period are summed.
   */
  unidadeTempo?: string;
  tituloX?: string;
  tituloY?: string;
  formatoY?: string;
  /** Field whose values split the data into one line each (coloured, with a legend). */
  serie?: string;
  tituloSerie?: string;
}

// Axis labels per time unit, in pt-BR order (day before month).
const FORMATO_POR_UNIDADE: Record<string, string> = {
  year: "%Y",
  yearquarter: "%Y T%q",
  yearmonth: "%b %Y",
  yearweek: "%d/%m/%Y",
  yearmonthdate: "%d/%m/%Y",
  monthdate: "%d/%m",
  yearmonthdatehours: "%d/%m %Hh",
  hours: "%Hh",
  month: "%b",
  day: "%a",
};
// Without a time unit, the axis picks the coarsest label that fits each tick.
const FORMATO_MULTIPLO = {
  year: "%Y",
  quarter: "%b %Y",
  month: "%b %Y",
  week: "%d/%m",
  date: "%d/%m",
  hours: "%Hh",
  minutes: "%H:%M",
  seconds: "%H:%M:%S",
  milliseconds: "%S,%L",
};

/**
 * Date-only ISO text ("2024-03-01") as local midnight: JavaScript reads it as UTC midnight,
 * which a Brazilian clock shows as the previous day. Date objects (what pg returns) pass as is.
 */
function comDatas(dados: Objeto[], campo: string): Objeto[] {
  return dados.map((linha) => {
    const v = linha[campo];
    const m = typeof v === "string" ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(v) : null;
    return m ? { ...linha, [campo]: new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])) } : linha;
  });
}

/** A line of `y` over time `x` (Date, or ISO text), optionally summed per `unidadeTempo`. */
export function linhaTemporal(dados: object[], x: string, y: string, opts: OpcoesLinha = {}): TopLevelSpec {
  const unidade = opts.unidadeTempo?.replace(/^utc/, "");
  const formatoX = unidade ? FORMATO_POR_UNIDADE[unidade] : FORMATO_MULTIPLO;
  return {
    ...(opts.titulo ? { title: opts.titulo } : {}),
    width: LARGURA_PADRAO,
    data: { values: comDatas(comNumeros(dados, [y]), x) },
    mark: opts.serie
      ? { type: "line", point: dados.length <= 120, tooltip: true }
      : {
          type: "line",
          color: opts.cor ?? cores.principal,
          point: dados.length <= 60 ? { color: opts.cor ?? cores.principal } : false,
          tooltip: true,
        },
    encoding: {
      ...(opts.serie
        ? { color: { field: opts.serie, type: "nominal", title: opts.tituloSerie ?? opts.serie, scale: { range: cores.categorias } } }
        : {}),
      x: {
        field: x,
        type: "temporal",
        ...(opts.unidadeTempo ? { timeUnit: opts.unidadeTempo } : {}),
        title: opts.tituloX ?? x,
        axis: formatoX ? { format: formatoX } : {},
      },
      y: {
        field: y,
        type: "quantitative",
        ...(opts.unidadeTempo ? { aggregate: "sum" } : {}),
        title: opts.tituloY ?? y,
        ...(opts.formatoY ? { axis: { format: opts.formatoY } } : {}),
      },
    },
  } as TopLevelSpec;
}

/** A GeoJSON FeatureCollection (structurally compatible with @types/geojson's). */
export interface ColecaoGeoJson {
  type: "FeatureCollection";
  features: {
    type: "Feature";
    geometry: { type: string; coordinates?: unknown; geometries?: unknown } | null;
    properties?: Record<string, unknown> | null;
  }[];
}

export interface OpcoesMapa {
  titulo?: string;
  /** The group drawn in red and on top (e.g. "fraude"); the others in calmer colours. */
  destaque?: string;
  largura?: number;
  altura?: number;
}

type Anel = [number, number][];

/** Twice the signed planar area of a lon/lat ring: positive when counter-clockwise. */
function areaComSinal(anel: Anel): number {
  let soma = 0;
  for (let i = 0, j = anel.length - 1; i < anel.length; j = i++) {
    soma += anel[j][0] * anel[i][1] - anel[i][0] * anel[j][1];
  }
  return soma;
}

/** The polygon with its outer ring clockwise and its holes counter-clockwise. */
function orientarPoligono(aneis: Anel[]): Anel[] {
  return aneis.map((anel, i) => {
    const antiHorario = areaComSinal(anel) > 0;
    return (i === 0) === antiHorario ? [...anel].reverse() : anel;
  });
}

/**
 * GeoJSON files follow RFC 7946 (outer rings counter-clockwise) or not; vega's d3-geo reads a
 * counter-clockwise outer ring as "the whole globe but this state" and fills the map grey.
 * Rings are re-oriented the d3 way, which is safe for areas as small as Brazilian states.
 */
function orientarParaD3(feature: ColecaoGeoJson["features"][number]): ColecaoGeoJson["features"][number] {
  const g = feature.geometry;
  if (g?.type === "Polygon") {
    return { ...feature, geometry: { ...g, coordinates: orientarPoligono(g.coordinates as Anel[]) } };
  }
  if (g?.type === "MultiPolygon") {
    return { ...feature, geometry: { ...g, coordinates: (g.coordinates as Anel[][]).map(orientarPoligono) } };
  }
  return feature;
}

/**
 * A map-like scatter: the given outlines (e.g. SP, MG and RJ, or every UF) in light grey and
 * the points coloured by `grupo`, the `destaque` group in red on top; Mercator projection
 * fitted to outlines and points.
 */
export function dispersaoMapa(
  pontos: { lat: number; lon: number; grupo: string }[],
  contornos: ColecaoGeoJson,
  opts: OpcoesMapa = {},
): TopLevelSpec {
  const grupos = [...new Set(pontos.map((p) => String(p.grupo)))].sort((a, b) => a.localeCompare(b, "pt-BR"));
  const destaque = opts.destaque !== undefined && grupos.includes(opts.destaque) ? opts.destaque : undefined;
  const outros = grupos.filter((g) => g !== destaque);
  const calmas = [cores.principal, cores.neutro, "#10b981", "#8b5cf6", "#f59e0b", "#14b8a6", "#64748b", "#0ea5e9"];
  const dominio = destaque === undefined ? outros : [...outros, destaque];
  const paleta = outros.map((_, i) => calmas[i % calmas.length]);
  // Later rows are drawn on top, so the highlighted group goes last.
  const ordenados = [...pontos.filter((p) => p.grupo !== destaque), ...pontos.filter((p) => p.grupo === destaque)];
  const ehDestaque = destaque === undefined ? "false" : `datum.grupo === ${JSON.stringify(destaque)}`;
  return {
    ...(opts.titulo ? { title: opts.titulo } : {}),
    width: opts.largura ?? LARGURA_PADRAO,
    height: opts.altura ?? 480,
    projection: { type: "mercator" },
    layer: [
      {
        data: { values: contornos.features.map(orientarParaD3) },
        mark: { type: "geoshape", fill: cores.preenchimento, stroke: cores.contorno, strokeWidth: 0.8 },
      },
      {
        data: { values: ordenados.map((p) => ({ lat: Number(p.lat), lon: Number(p.lon), grupo: String(p.grupo) })) },
        mark: { type: "circle", tooltip: true },
        encoding: {
          longitude: { field: "lon", type: "quantitative" },
          latitude: { field: "lat", type: "quantitative" },
          color: {
            field: "grupo",
            type: "nominal",
            title: "grupo",
            scale: { domain: dominio, range: destaque === undefined ? paleta : [...paleta, cores.destaque] },
          },
          size: { condition: { test: ehDestaque, value: 45 }, value: 18 },
          opacity: { condition: { test: ehDestaque, value: 0.95 }, value: 0.55 },
        },
      },
    ],
  } as TopLevelSpec;
}
