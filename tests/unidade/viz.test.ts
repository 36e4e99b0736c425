// lib/viz renders Vega-Lite specs to SVG headlessly, in pt-BR, with the kit's helpers.
// A Brazilian clock makes the date handling honest (date-only text must not slip a day).
process.env.TZ = "America/Sao_Paulo";

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, test } from "node:test";
import { repoRoot } from "../../lib/config";
import { barras, cores, dispersaoMapa, graficoSvg, linhaTemporal, type ColecaoGeoJson, type TopLevelSpec } from "../../lib/viz";

/** The inside of the <g> that holds one mark's items, found by its class (e.g. "mark-rect role-mark"). */
function grupo(svg: string, classe: string): string {
  const inicio = svg.indexOf(`<g class="${classe}`);
  assert.ok(inicio >= 0, `no group ${classe}`);
  // Mark groups hold only leaf items (path, text, line), so the first </g> closes the group.
  return svg.slice(inicio, svg.indexOf("</g>", inicio));
}

const contar = (texto: string, trecho: string): number => texto.split(trecho).length - 1;

/** Size of a bar: vega draws a rect item as "M x,y h width v height h -width Z". */
function barra(d: string): { largura: number; altura: number } {
  const m = /^M(-?[\d.]+),(-?[\d.]+)h(-?[\d.]+)v(-?[\d.]+)/.exec(d);
  assert.ok(m, d);
  return { largura: Math.abs(Number(m[3])), altura: Math.abs(Number(m[4])) };
}

/** Bounding box of a path made of absolute x,y points (geoshapes). */
function caixa(d: string): { largura: number; altura: number } {
  const nums = (d.match(/-?\d+(\.\d+)?(e-?\d+)?/g) ?? []).map(Number);
  const xs = nums.filter((_, i) => i % 2 === 0);
  const ys = nums.filter((_, i) => i % 2 === 1);
  return { largura: Math.max(...xs) - Math.min(...xs), altura: Math.max(...ys) - Math.min(...ys) };
}

const vendasPorUf = [
  { uf: "SP", total: 1234.5 },
  { uf: "MG", total: "830" }, // pg returns numeric columns as text
  { uf: "RJ", total: 455.25 },
  { uf: "BA", total: 120n },
];

describe("graficoSvg", () => {
  test("renders a spec to SVG text with a white background, the kit's font and width 640", async () => {
    const svg = await graficoSvg({
      title: "Pontos",
      data: {
        values: [
          { a: 1, b: 2 },
          { a: 3, b: 4 },
        ],
      },
      mark: "point",
      encoding: { x: { field: "a", type: "quantitative" }, y: { field: "b", type: "quantitative" } },
    });
    assert.ok(svg.startsWith("<svg"), svg.slice(0, 80));
    assert.match(svg, /<rect width="\d+" height="\d+" fill="white"\/>/);
    assert.match(svg, /font-family="Helvetica, Arial, sans-serif"/);
    assert.ok(svg.includes(">Pontos</text>"));
    const largura = Number(/^<svg[^>]* width="(\d+)"/.exec(svg)?.[1]);
    assert.ok(largura > 640 && largura < 760, `width ${largura}`);
  });

  test("the spec's own size and config win over the theme", async () => {
    const svg = await graficoSvg({
      width: 200,
      height: 100,
      config: { background: "#fafafa" },
      data: { values: [{ a: 1 }] },
      mark: "tick",
      encoding: { x: { field: "a", type: "quantitative" } },
    });
    assert.match(svg, /fill="#fafafa"/);
    assert.ok(Number(/^<svg[^>]* width="(\d+)"/.exec(svg)?.[1]) < 300);
  });

  test("numbers and dates come out in pt-BR", async () => {
    const svg = await graficoSvg({
      data: { values: [{ n: 1234.5, d: new Date(2024, 2, 4) }] },
      layer: [
        { mark: { type: "text", dy: -20 }, encoding: { text: { field: "n", type: "quantitative", format: ",.1f" } } },
        { mark: { type: "text" }, encoding: { text: { field: "n", type: "quantitative", format: "$,.2f" } } },
        { mark: { type: "text", dy: 20 }, encoding: { text: { field: "d", type: "temporal", format: "%A, %d de %B de %Y" } } },
        { mark: { type: "text", dy: 40 }, encoding: { text: { field: "n", type: "quantitative" } } },
      ],
    });
    assert.ok(svg.includes(">1.234,5</text>"));
    assert.ok(svg.includes(">R$ 1.234,50</text>"));
    assert.ok(svg.includes(">segunda-feira, 04 de março de 2024</text>"));
    assert.ok(svg.includes(">1.234,5</text>"), "text without a format uses the theme's numberFormat");
  });

  test("titles the spec leaves out are written in Portuguese", async () => {
    const svg = await graficoSvg({
      data: {
        values: [
          { dia: new Date(2024, 0, 5), valor: 2 },
          { dia: new Date(2024, 1, 5), valor: 3 },
        ],
      },
      hconcat: [
        {
          mark: "bar",
          encoding: { x: { field: "dia", type: "ordinal", timeUnit: "yearmonth" }, y: { aggregate: "count", type: "quantitative" } },
        },
        {
          mark: "bar",
          encoding: {
            x: { field: "valor", type: "quantitative", bin: true },
            y: { field: "valor", type: "quantitative", aggregate: "mean" },
          },
        },
      ],
    });
    for (const t of ["dia (ano-mês)", "contagem", "valor (faixas)", "média de valor"]) assert.ok(svg.includes(`>${t}</text>`), t);
  });

  test("an invalid spec is rejected with a message that says what to fix", async () => {
    const dados = { values: [{ uf: "SP", total: 1 }] };
    await assert.rejects(
      graficoSvg({ title: "Vendas", data: dados, mark: "barra" } as unknown as TopLevelSpec),
      /Especificação inválida no gráfico "Vendas": marca "barra" desconhecida; use uma destas: arc, area, bar/,
    );
    await assert.rejects(
      graficoSvg({ data: dados, mark: "bar", encoding: { x: { field: "uf", type: "nominl" } } } as unknown as TopLevelSpec),
      /o canal "x" tem type "nominl"/,
    );
    await assert.rejects(
      graficoSvg({ data: dados, mark: "bar", encoding: { y: { field: "totl", type: "quantitative" } } }),
      /o canal "y" usa o campo "totl", que não existe nos dados \(colunas: uf, total\)/,
    );
    await assert.rejects(graficoSvg({ data: dados } as unknown as TopLevelSpec), /Especificação inválida no gráfico: .*"mark", "layer"/);
    await assert.rejects(
      graficoSvg({
        data: dados,
        transform: [{ calculate: "datum.total +* 2", as: "x" }],
        mark: "bar",
        encoding: { x: { field: "x", type: "quantitative" } },
      }),
      /gráfico: .*Unexpected token/,
    );
    await assert.rejects(graficoSvg(null as unknown as TopLevelSpec), /precisa ser um objeto Vega-Lite/);
  });

  test("loads from CommonJS the way tslab compiles lib files (vega cannot be require()d)", () => {
    const root = repoRoot();
    // tslab transpiles lib/*.ts to CommonJS and runs it with Module#_compile under the notebook's folder.
    const script = `
      const ts = require("typescript");
      const Module = require("node:module");
      const { readFileSync } = require("node:fs");
      const file = ${JSON.stringify(join(root, "notebooks", "lib", "viz.js"))};
      const js = ts.transpileModule(readFileSync(${JSON.stringify(join(root, "lib", "viz.ts"))}, "utf8"), {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      }).outputText;
      const m = new Module(file, module);
      m.filename = file;
      m.paths = Module._nodeModulePaths(require("node:path").dirname(file));
      m._compile(js, file);
      m.exports.graficoSvg(m.exports.barras([{ a: "x", b: 1234.5 }], "a", "b", { rotulos: true }))
        .then((svg) => console.log(svg.startsWith("<svg") && svg.includes(">1.234,5</text>") ? "ok" : svg))
        .catch((e) => { console.error(e); process.exit(1); });
    `;
    const r = spawnSync(process.execPath, ["-e", script], { cwd: root, encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), "ok", r.stderr);
  });
});

describe("barras", () => {
  test("one bar per row, in the rows' order, with title, axis titles and numeric text as numbers", async () => {
    const svg = await graficoSvg(barras(vendasPorUf, "uf", "total", { titulo: "Vendas por UF", formatoY: ",.1f", rotulos: true }));
    assert.ok(svg.startsWith("<svg"));
    assert.ok(svg.includes(">Vendas por UF</text>"));
    assert.ok(svg.includes(">uf</text>") && svg.includes(">total</text>"), "axis titles");
    const bars = grupo(svg, "mark-rect role-mark");
    assert.equal(contar(bars, "<path"), 4);
    assert.equal(contar(bars, `fill="${cores.principal}"`), 4);
    // Bar heights follow the values: "830" was read as 830, 120n as 120.
    const alturas = [...bars.matchAll(/ d="([^"]+)"/g)].map((m) => barra(m[1]).altura);
    assert.equal(alturas.length, 4, "one height per bar");
    const valores = [1234.5, 830, 455.25, 120];
    for (const [i, h] of alturas.entries()) {
      assert.ok(Math.abs(h / alturas[0] - valores[i] / valores[0]) < 0.01, `bar ${i}: height ${h} not proportional to ${valores[i]}`);
    }
    const rotulos = grupo(svg, "mark-text role-mark");
    for (const r of ["1.234,5", "830,0", "455,3", "120,0"]) assert.ok(rotulos.includes(`>${r}</text>`), r);
    // Category order kept as given (not alphabetical).
    const ordem = [...grupo(svg, "mark-text role-axis-label").matchAll(/>([A-Z]{2})<\/text>/g)].map((m) => m[1]);
    assert.deepEqual(ordem, ["SP", "MG", "RJ", "BA"]);
  });

  test("horizontal bars put the categories on the vertical axis, in the given colour", async () => {
    const svg = await graficoSvg(barras(vendasPorUf, "uf", "total", { horizontal: true, cor: "#10b981", formatoY: "$,.0f" }));
    const bars = grupo(svg, "mark-rect role-mark");
    assert.equal(contar(bars, "<path"), 4);
    assert.equal(contar(bars, 'fill="#10b981"'), 4);
    const caixas = [...bars.matchAll(/ d="([^"]+)"/g)].map((m) => barra(m[1]));
    assert.equal(caixas.length, 4, "one box per bar");
    assert.ok(
      caixas.every((c) => c.altura === caixas[0].altura),
      "same thickness",
    );
    assert.ok(caixas[0].largura > caixas[3].largura, "length follows the value");
    assert.ok(svg.includes(">R$ 1.000</text>"), "currency ticks in pt-BR");
  });
});

describe("linhaTemporal", () => {
  const dias = Array.from({ length: 31 + 29 + 31 }, (_, i) => ({ dia: new Date(2024, 0, 1 + i), valor: 1000 }));

  test("a line over time with Portuguese month names", async () => {
    const svg = await graficoSvg(linhaTemporal(dias, "dia", "valor", { titulo: "Vendas diárias", cor: "#8b5cf6" }));
    assert.ok(svg.includes(">Vendas diárias</text>"));
    assert.ok(svg.includes(">dia</text>") && svg.includes(">valor</text>"));
    const linha = grupo(svg, "mark-line role-mark");
    assert.equal(contar(linha, "<path"), 1);
    assert.match(linha, /stroke="#8b5cf6"/);
    assert.ok(svg.includes(">1.000</text>"), "thousands with a dot");
  });

  test("unidadeTempo sums each period; date-only text stays on its local day", async () => {
    // "2024-02-01" read as UTC midnight would be 31/01 in Brazil and land in January.
    const linhas = [
      { dia: "2024-01-15", valor: "1000.5" },
      { dia: "2024-01-20", valor: 234 },
      { dia: "2024-02-01", valor: 10 },
      { dia: "2024-03-01", valor: 20 },
    ];
    const svg = await graficoSvg(linhaTemporal(linhas, "dia", "valor", { unidadeTempo: "yearmonth", formatoY: ",.1f" }));
    const pontos = grupo(svg, "mark-symbol role-mark");
    assert.equal(contar(pontos, "<path"), 3, "one point per month");
    assert.ok(pontos.includes('aria-label="dia: jan 2024; valor: 1.234,5"'), "January's sum");
    assert.ok(pontos.includes('aria-label="dia: fev 2024; valor: 10,0"'), "February holds only its own row");
    assert.ok(pontos.includes('aria-label="dia: mar 2024; valor: 20,0"'));
    for (const m of ["jan 2024", "fev 2024", "mar 2024"]) assert.ok(svg.includes(`>${m}</text>`), m);
  });
});

describe("linhaTemporal with serie", () => {
  test("one coloured line per group, with a legend", async () => {
    const linhas = ["Livros", "Games"].flatMap((categoria, i) =>
      ["2024-01-01", "2024-02-01", "2024-03-01"].map((mes, j) => ({ mes, categoria, receita: 100 * (i + 1) + j })),
    );
    const svg = await graficoSvg(
      linhaTemporal(linhas, "mes", "receita", { unidadeTempo: "yearmonth", serie: "categoria", tituloSerie: "Categoria" }),
    );
    // Vega draws a grouped line as one mark group per series.
    const marcas = svg
      .split('<g class="mark-line role-mark')
      .slice(1)
      .map((g) => g.slice(0, g.indexOf("</g>")));
    assert.equal(marcas.length, 2, "one line per category");
    for (const l of marcas) assert.equal(contar(l, "<path"), 1);
    const tracos = marcas.map((l) => /stroke="(#[0-9a-f]{6})"/.exec(l)?.[1]).sort();
    assert.deepEqual(tracos, [cores.categorias[0], cores.categorias[1]].sort());
    assert.ok(svg.includes(">Categoria</text>") && svg.includes(">Livros</text>") && svg.includes(">Games</text>"), "legend");
  });
});

describe("dispersaoMapa", () => {
  // Two squares, one with its outer ring counter-clockwise (RFC 7946), one clockwise.
  const contornos: ColecaoGeoJson = {
    type: "FeatureCollection",
    features: [
      {
        type: "Feature",
        properties: { sigla: "SP" },
        geometry: {
          type: "Polygon",
          coordinates: [
            [
              [-53, -25],
              [-44, -25],
              [-44, -20],
              [-53, -20],
              [-53, -25],
            ],
          ],
        },
      },
      {
        type: "Feature",
        properties: { sigla: "RJ" },
        geometry: {
          type: "MultiPolygon",
          coordinates: [
            [
              [
                [-44, -23.5],
                [-44, -21],
                [-41, -21],
                [-41, -23.5],
                [-44, -23.5],
              ],
            ],
          ],
        },
      },
    ],
  };
  const pontos = [
    { lat: -23.5, lon: -46.6, grupo: "fraude" },
    { lat: -22.9, lon: -43.2, grupo: "normal" },
    { lat: -22.0, lon: -47.9, grupo: "normal" },
    { lat: -21.5, lon: -42.0, grupo: "revisão" },
    { lat: -24.0, lon: -50.0, grupo: "fraude" },
  ];

  test("outlines in grey and points by group, the highlighted group in red", async () => {
    const svg = await graficoSvg(dispersaoMapa(pontos, contornos, { titulo: "Transações suspeitas", destaque: "fraude" }));
    assert.ok(svg.startsWith("<svg"));
    assert.ok(svg.includes(">Transações suspeitas</text>"));
    const formas = grupo(svg, "mark-shape role-mark");
    assert.equal(contar(formas, "<path"), 2);
    // Each state is a small shape, not "the globe minus the state" filling the whole map.
    for (const m of formas.matchAll(/ d="([^"]+)"/g)) {
      const c = caixa(m[1]);
      assert.ok(c.largura < 600 && c.altura < 460, `outline ${c.largura}x${c.altura}`);
    }
    const simbolos = grupo(svg, "mark-symbol role-mark");
    assert.equal(contar(simbolos, "<path"), 5);
    assert.equal(contar(simbolos, `fill="${cores.destaque}"`), 2);
    // Highlighted points are drawn last, on top.
    assert.ok(simbolos.lastIndexOf(`fill="${cores.destaque}"`) > simbolos.lastIndexOf(`fill="${cores.principal}"`));
    assert.ok(svg.includes(">grupo</text>") && svg.includes(">revisão</text>"), "legend");
  });

  test("without a highlight every group gets a calm colour", async () => {
    const svg = await graficoSvg(dispersaoMapa(pontos, contornos));
    const simbolos = grupo(svg, "mark-symbol role-mark");
    assert.equal(contar(simbolos, "<path"), 5);
    assert.equal(contar(simbolos, `fill="${cores.destaque}"`), 0);
  });
});

describe("render time", () => {
  test("a 1000-point scatter, a 1000-point map and a 180-bar chart render in seconds", async (t) => {
    await graficoSvg(barras([{ a: "x", b: 1 }], "a", "b")); // loads vega once
    let semente = 42;
    const aleatorio = () => {
      semente = (semente * 1103515245 + 12345) % 2 ** 31;
      return semente / 2 ** 31;
    };
    const nuvem = Array.from({ length: 1000 }, (_, i) => ({ x: aleatorio() * 100, y: aleatorio() * 50, g: i % 3 ? "a" : "b" }));
    const casos: [string, TopLevelSpec, number][] = [
      [
        "dispersão de 1000 pontos",
        {
          data: { values: nuvem },
          mark: "circle",
          encoding: {
            x: { field: "x", type: "quantitative" },
            y: { field: "y", type: "quantitative" },
            color: { field: "g", type: "nominal" },
          },
        },
        1000,
      ],
      [
        "dispersaoMapa de 1000 pontos",
        dispersaoMapa(
          nuvem.map((p, i) => ({ lat: -25 + p.y / 10, lon: -53 + p.x / 10, grupo: i % 20 ? "normal" : "fraude" })),
          { type: "FeatureCollection", features: [] },
          { destaque: "fraude" },
        ),
        1000,
      ],
      [
        "180 barras",
        barras(
          Array.from({ length: 180 }, (_, i) => ({ dia: `d${i}`, n: i * 7 })),
          "dia",
          "n",
        ),
        180,
      ],
    ];
    for (const [nome, spec, marcas] of casos) {
      const inicio = performance.now();
      const svg = await graficoSvg(spec);
      const ms = performance.now() - inicio;
      t.diagnostic(`${nome}: ${ms.toFixed(0)} ms, ${(svg.length / 1024).toFixed(0)} KiB`);
      const itens = contar(svg, 'role="graphics-symbol" aria-roledescription="circle"') + contar(svg, 'aria-roledescription="bar"');
      assert.equal(itens, marcas, nome);
      assert.ok(ms < 10_000, `${nome} took ${ms} ms`);
    }
  });
});
