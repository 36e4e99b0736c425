// The raw layer's DW source: the star schema's rows (marts.*) extracted incrementally into
// raw/dw/<modelo>, append-only. The watermark is a column of the rows themselves (_marca_us, the
// model's load mark in µs) plus the model's key, so a run cut in the middle resumes exactly after
// the last row it stored, and a run with nothing new writes no commit.
import type pg from "pg";
import { withClient } from "../db";
import { statsDe, type TabelaDelta } from "../lake/index";
import { diaUtc, lerColunas, tabela } from "./comum";
import type { OpcoesRaw, ResultadoRawTabela } from "./raw";

export function tabelaRawDw(modelo: string, raiz?: string): TabelaDelta {
  return tabela("raw", `dw/${modelo}`, raiz);
}

export interface ModeloDw {
  modelo: string;
  /** SQL of the watermark: a timestamptz column/expression, or an integer one (tipo "inteiro"). */
  marca: string;
  tipoMarca: "instante" | "inteiro";
  /** The model's key, the tie-breaker after the watermark. */
  chaves: string[];
  /** A column to filter by the watermark with an index (the watermark itself when it is a column). */
  indice?: string;
}

/** The star schema of dbt_project/models/marts and the load watermark of each model. */
export const MODELOS_DW: readonly ModeloDw[] = [
  {
    modelo: "fato_itens_pedido",
    marca: "carregado_em",
    tipoMarca: "instante",
    chaves: ["id_pedido", "id_produto"],
    indice: "carregado_em",
  },
  { modelo: "fato_pedidos", marca: "carregado_em", tipoMarca: "instante", chaves: ["id_pedido"], indice: "carregado_em" },
  // SCD 2: a version changes when it is closed (valido_ate moves from 9999-12-31 to the next
  // version's start), so the watermark is the later of its own update and its closing.
  {
    modelo: "dim_pessoas",
    marca: "greatest(atualizado_em, nullif(valido_ate, timestamptz '9999-12-31 00:00:00+00'))",
    tipoMarca: "instante",
    chaves: ["sk_pessoa"],
  },
  { modelo: "dim_produtos", marca: "atualizado_em", tipoMarca: "instante", chaves: ["sk_produto"] },
  { modelo: "dim_local", marca: "pedido_carregado_em", tipoMarca: "instante", chaves: ["geohash"] },
  { modelo: "dim_dispositivo", marca: "pedido_carregado_em", tipoMarca: "instante", chaves: ["dispositivo"] },
  // Generated calendar: days never change, new ones are appended as the sales range grows.
  { modelo: "dim_data", marca: "sk_data", tipoMarca: "inteiro", chaves: ["sk_data"] },
];

const PROP_MARCA_INICIAL = "liga.dw.marcaInicial";

interface ColunaPg {
  nome: string;
  tipo: string;
  precisao: number | null;
  escala: number | null;
}

function tipoDeltaDe(c: ColunaPg): string {
  switch (c.tipo) {
    case "bigint":
      return "long";
    case "integer":
      return "integer";
    case "smallint":
      return "short";
    case "boolean":
      return "boolean";
    case "date":
      return "date";
    case "timestamp with time zone":
    case "timestamp without time zone":
      return "timestamp";
    case "double precision":
      return "double";
    case "real":
      return "float";
    case "numeric":
      return c.precisao !== null && c.precisao <= 38 ? `decimal(${c.precisao},${c.escala ?? 0})` : "string";
    default:
      return "string";
  }
}

function selecao(c: ColunaPg): string {
  const id = `"${c.nome.replace(/"/g, '""')}"`;
  if (c.tipo === "timestamp with time zone") return `to_char(${id} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as ${id}`;
  if (c.tipo === "timestamp without time zone") return `to_char(${id}, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as ${id}`;
  const t = tipoDeltaDe(c);
  if (t === "string" || t === "date" || t.startsWith("decimal")) return `${id}::text as ${id}`;
  return id;
}

/** µs since the epoch → timestamptz text PostgreSQL parses exactly. */
function textoDeMicros(us: bigint): string {
  const ms = us / 1000n - (us % 1000n < 0n ? 1n : 0n);
  const resto = us - ms * 1000n;
  const iso = new Date(Number(ms)).toISOString();
  return `${iso.slice(0, 23)}${resto.toString().padStart(3, "0")}Z`;
}

type ValorChave = number | string | bigint;

function compararValores(a: ValorChave, b: ValorChave): number {
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  const x = BigInt(a as number | bigint);
  const y = BigInt(b as number | bigint);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The greatest (watermark, key…) stored in the extract, or the table's start mark. */
async function ultimaMarca(t: TabelaDelta, m: ModeloDw): Promise<ValorChave[] | undefined> {
  const inst = await t.instantaneo();
  const inicial = inst.metadata.configuration[PROP_MARCA_INICIAL];
  if (inst.arquivos.size === 0) return inicial ? [BigInt(inicial)] : undefined;
  // Only the files holding the greatest mark (from the log's stats) need reading.
  let maior: bigint | undefined;
  for (const a of inst.arquivos.values()) {
    const v = statsDe(a)?.maxValues?._marca_us;
    if (typeof v !== "number" && typeof v !== "string") {
      maior = undefined;
      break;
    }
    if (maior === undefined || BigInt(v) > maior) maior = BigInt(v);
  }
  const cols = await lerColunas(t, ["_marca_us", ...m.chaves], maior === undefined ? undefined : [["_marca_us", ">=", maior]]);
  let melhor: ValorChave[] | undefined;
  const n = cols[0]!.length;
  for (let j = 0; j < n; j++) {
    const tupla = cols.map((c) => c[j] as ValorChave);
    if (!melhor) melhor = tupla;
    else {
      for (let i = 0; i < tupla.length; i++) {
        const c = compararValores(tupla[i]!, melhor[i]!);
        if (c > 0) {
          melhor = tupla;
          break;
        }
        if (c < 0) break;
      }
    }
  }
  return melhor;
}

/** The watermark of a model in µs (instants) or as is (integers), as a bigint SQL expression. */
const expressaoDaMarca = (m: ModeloDw) =>
  m.tipoMarca === "instante" ? `(extract(epoch from ${m.marca}) * 1000000)::bigint` : `(${m.marca})::bigint`;

async function colunasDoModelo(client: pg.ClientBase, modelo: string): Promise<ColunaPg[]> {
  const { rows } = await client.query<ColunaPg>(
    `select column_name as nome, data_type as tipo, numeric_precision as precisao, numeric_scale as escala
       from information_schema.columns where table_schema = 'marts' and table_name = $1 order by ordinal_position`,
    [modelo],
  );
  return rows;
}

/** Creates raw/dw/<modelo> with the model's columns; inicioDw "agora" records today's greatest mark as the start. */
async function criarExtrato(client: pg.ClientBase, t: TabelaDelta, m: ModeloDw, cols: ColunaPg[], opcoes: OpcoesRaw): Promise<void> {
  const esquema: Record<string, string> = {};
  for (const c of cols) esquema[c.nome] = tipoDeltaDe(c);
  Object.assign(esquema, { _marca_us: "long", ingerido_em: "timestamp not null", dt_ingestao: "date not null" });
  let marcaInicial: string | undefined;
  if (opcoes.inicioDw === "agora") {
    const { rows } = await client.query<{ m: string | null }>(`select max(${expressaoDaMarca(m)})::text as m from marts.${m.modelo}`);
    marcaInicial = rows[0]?.m ?? undefined;
  }
  await t.criar({
    esquema,
    particionarPor: ["dt_ingestao"],
    nome: `raw_dw_${m.modelo}`,
    descricao: `Extração incremental de marts.${m.modelo} (marca d'água: ${m.marca}).`,
    configuracao: {
      "delta.appendOnly": "true",
      "liga.dw.marca": m.marca,
      ...(marcaInicial ? { [PROP_MARCA_INICIAL]: marcaInicial } : {}),
    },
    seExistir: "ignorar",
  });
}

/** The query of the rows after `marca` (watermark, key…), in that order, and its parameters. */
function consultaIncremental(m: ModeloDw, cols: ColunaPg[], marca: ValorChave[] | undefined): { sql: string; params: unknown[] } {
  const expr = expressaoDaMarca(m);
  // Text keys compare byte-wise ("C"), the order JavaScript uses to find the greatest one.
  const ehTexto = (nome: string) => ["text", "character varying", "character"].includes(cols.find((x) => x.nome === nome)!.tipo);
  const ordem = [expr, ...m.chaves.map((c) => (ehTexto(c) ? `"${c}" collate "C"` : `"${c}"`))];
  const params: unknown[] = [];
  let onde = "";
  if (marca) {
    // An indexed column bounds the scan first; the exact comparison follows.
    const indexada = m.tipoMarca === "instante" && m.indice !== undefined;
    if (indexada) params.push(textoDeMicros(marca[0] as bigint));
    const base = indexada ? `"${m.indice}" >= $1::timestamptz and ` : "";
    const inicio = params.length;
    params.push(...marca.map((v) => String(v)));
    if (marca.length === 1) {
      onde = `where ${base}${expr} > $${params.length}::bigint`;
    } else {
      const ph = marca.map((_, i) => `$${inicio + i + 1}${i === 0 ? "::bigint" : ""}`);
      onde = `where ${base}(${ordem.join(", ")}) > (${ph.join(", ")})`;
    }
  }
  const sql = `select ${cols.map(selecao).join(", ")}, ${expr}::text as _marca_us from marts.${m.modelo} ${onde} order by ${ordem.join(", ")}`;
  return { sql, params };
}

/**
 * One sorted query in one snapshot, fetched through a cursor in pages (one commit per page): the
 * sort runs once, and a run cut midway resumes after the last stored row because the order is
 * the watermark's.
 */
async function copiarPorCursor(
  client: pg.ClientBase,
  consulta: { sql: string; params: unknown[] },
  t: TabelaDelta,
  res: ResultadoRawTabela,
  opcoes: OpcoesRaw,
): Promise<void> {
  const lote = opcoes.loteDw ?? 50_000;
  await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  try {
    await client.query(`DECLARE extracao NO SCROLL CURSOR FOR ${consulta.sql}`, consulta.params);
    for (;;) {
      const { rows } = await client.query<Record<string, unknown>>(`FETCH ${lote} FROM extracao`);
      if (rows.length === 0) break;
      const agora = new Date();
      for (const r of rows) {
        r.ingerido_em = agora;
        r.dt_ingestao = diaUtc(agora);
      }
      const w = await t.anexar(rows);
      res.linhas += w.linhasEscritas;
      res.commits++;
      res.versao = w.versao;
      opcoes.aoProgredir?.(`raw/dw/${res.tabela}: +${rows.length} linhas (versão ${w.versao})`);
      if (rows.length < lote) break;
    }
  } finally {
    await client.query("ROLLBACK").catch(() => undefined);
  }
}

async function extrairModelo(client: pg.ClientBase, m: ModeloDw, opcoes: OpcoesRaw): Promise<ResultadoRawTabela> {
  const t = tabelaRawDw(m.modelo, opcoes.raiz);
  const cols = await colunasDoModelo(client, m.modelo);
  if (cols.length === 0) {
    return {
      tabela: m.modelo,
      url: t.url,
      linhas: 0,
      commits: 0,
      versao: -1,
      observacao: `marts.${m.modelo} não existe (rode o dbt build)`,
    };
  }
  const criada = !(await t.existe());
  if (criada) await criarExtrato(client, t, m, cols, opcoes);
  const res: ResultadoRawTabela = { tabela: m.modelo, url: t.url, linhas: 0, commits: 0, versao: (await t.instantaneo()).versao, criada };
  await copiarPorCursor(client, consultaIncremental(m, cols, await ultimaMarca(t, m)), t, res, opcoes);
  return res;
}

/** Appends to raw/dw/<modelo> the rows of marts.<modelo> after the stored watermark, in pages. */
export async function extrairDw(opcoes: OpcoesRaw = {}): Promise<ResultadoRawTabela[]> {
  return withClient("dw", async (client) => {
    const resultados: ResultadoRawTabela[] = [];
    for (const m of MODELOS_DW.filter((x) => !opcoes.modelos || opcoes.modelos.includes(x.modelo))) {
      resultados.push(await extrairModelo(client, m, opcoes));
    }
    return resultados;
  });
}
