// The lakehouse's Spark job (delta_lake/consultas_lakehouse.py, run natively by stack/spark-job.ts
// with PySpark + Delta + s3a) against layers the kit built, under a unique _testes/spark-<uuid>
// prefix (removed at the end): its answers — CDC events and rows per table, orders/items/revenue
// per UF, the total, fraud per rule and UF, revenue per category, vendas_diarias re-added — must
// equal the kit's own (lib/lakehouse/consultas.ts, lib/lake), and be exactly what the five orders
// this test wrote to the OLTP make (the layers hold nothing else: the people and orders topics
// are read from their end).
import assert from "node:assert/strict";
import { randomInt, randomUUID } from "node:crypto";
import { before, describe, test } from "node:test";
import { query, withClient } from "../../lib/db";
import { LUGARES_FORA, LUGARES_PERMITIDOS, geohashesPerto, ufDoGeohash, type Lugar } from "../../lib/geo";
import { construirLakehouse, jsonSeguro as json, tabelaRefined } from "../../lib/lakehouse/index";
import { consultasDoLakehouse, type ResultadoConsultas } from "../../lib/lakehouse/consultas";
import { criarRng } from "../../lib/random";
import { rodarJobSpark, type ResultadoJobSpark } from "../../stack/spark-job";
import { lakehouseDeTeste } from "../apoio/camadas";
import { marcarTopicos } from "../apoio/captura";

const { raiz: RAIZ, dados } = lakehouseDeTeste("spark");

function lugar(nome: string): Lugar {
  const l = [...LUGARES_PERMITIDOS, ...LUGARES_FORA].find((x) => x.nome === nome);
  assert.ok(l, nome);
  return l;
}

// Two people, five orders: A buys in SP and RJ with one phone, then from Salvador (BA) with a
// new one (both rules); B buys in MG, then from Lisboa (location rule only). `uf` is where the
// place lies (lib/geo), `regras` what each order breaks.
const PEDIDOS = [
  {
    pessoa: "A",
    lugar: "São Paulo",
    uf: "SP",
    dispositivo: "Samsung Galaxy",
    diasAtras: 3,
    itens: [
      [0, 2],
      [1, 1],
    ],
    regras: { local: false, dispositivo: false },
  },
  {
    pessoa: "A",
    lugar: "Rio de Janeiro",
    uf: "RJ",
    dispositivo: "Samsung Galaxy",
    diasAtras: 2,
    itens: [[2, 3]],
    regras: { local: false, dispositivo: false },
  },
  {
    pessoa: "A",
    lugar: "Salvador",
    uf: "BA",
    dispositivo: "iPhone 15",
    diasAtras: 1,
    itens: [
      [0, 1],
      [2, 1],
    ],
    regras: { local: true, dispositivo: true },
  },
  {
    pessoa: "B",
    lugar: "Belo Horizonte",
    uf: "MG",
    dispositivo: "Motorola G",
    diasAtras: 2,
    itens: [[1, 4]],
    regras: { local: false, dispositivo: false },
  },
  {
    pessoa: "B",
    lugar: "Lisboa",
    uf: "fora do Brasil",
    dispositivo: "Motorola G",
    diasAtras: 0,
    itens: [[0, 1]],
    regras: { local: true, dispositivo: false },
  },
] as const;

/** Cents as the queries print money ("12.34"). */
const reais = (c: number) => `${Math.trunc(c / 100)}.${String(c % 100).padStart(2, "0")}`;
const centavos = (texto: string) => Math.round(Number(texto) * 100);
/** An order's items as [product index, quantity] pairs. */
const itensDe = (p: (typeof PEDIDOS)[number]) => p.itens as readonly (readonly [number, number])[];

describe("lakehouse: the Spark job answers what the kit answers", { timeout: 900_000 }, () => {
  let kit: ResultadoConsultas;
  let spark: ResultadoJobSpark;
  const itensEsperados = PEDIDOS.reduce((s, p) => s + p.itens.length, 0);
  const tempos: Record<string, number> = {};
  /** The three products the orders use: price in cents and category. */
  let produtos: { id: number; centavos: number; categoria: string | null }[] = [];
  /** This test's order ids, in PEDIDOS' order. */
  const idsDosPedidos: number[] = [];

  before(async () => {
    // Build 0: every table, the catalog from the start of its topics, the rest from their end.
    let t = Date.now();
    await construirLakehouse({
      raiz: RAIZ,
      inicioCdc: "fim",
      inicioCdcPorTabela: { categorias: "inicio", produtos: "inicio" },
      semDw: true,
    });
    tempos.build0 = (Date.now() - t) / 1000;
    const esperarPublicacao = await marcarTopicos();

    const ids = { A: await dados.pessoaNova(), B: 0 };
    ids.B = await dados.pessoaNova();
    const rng = criarRng(2024);
    await withClient("oltp", async (c) => {
      await c.query("INSERT INTO pessoas (id, nome, sexo, dt_nasc) VALUES ($1, $2, 'F', '1990-02-10'), ($3, $4, 'M', '1975-08-21')", [
        ids.A,
        `Ana Spark ${randomUUID().slice(0, 8)}`,
        ids.B,
        `Beto Spark ${randomUUID().slice(0, 8)}`,
      ]);
      const { rows: prods } = await c.query<{ id: number; valor_unit: string; categoria: string | null }>(
        "SELECT p.id, p.valor_unit::text, c.descricao AS categoria FROM produtos p LEFT JOIN categorias c ON c.id = p.id_categoria ORDER BY p.id LIMIT 3",
      );
      assert.equal(prods.length, 3, "o catálogo precisa de produtos (04_catalogo.sql)");
      produtos = prods.map((p) => ({ id: p.id, centavos: centavos(p.valor_unit), categoria: p.categoria }));
      for (const p of PEDIDOS) {
        const l = lugar(p.lugar);
        const [geohash] = geohashesPerto(l, 1, rng);
        assert.equal(ufDoGeohash(geohash!), l.uf);
        // Valid totals: items = qtde × price, the order = sum of its items.
        const itens = p.itens.map(([i, q]) => ({ id: prods[i]!.id, qtde: q, total: `${prods[i]!.valor_unit}::numeric * ${q}` }));
        await c.query("BEGIN");
        const { rows } = await c.query<{ id: number }>(
          `INSERT INTO pedidos (id_pessoa, dt_venda, valor_total)
           VALUES ($1, now() - make_interval(days => $2) - interval '5 minutes', ${itens.map((x) => x.total).join(" + ")}) RETURNING id`,
          [ids[p.pessoa], p.diasAtras],
        );
        const id = rows[0]!.id;
        dados.pedidos.push(id);
        idsDosPedidos.push(id);
        for (const x of itens) {
          await c.query(`INSERT INTO itens_pedidos (id_pedido, id_produto, qtde, valor_total) VALUES ($1, $2, $3, ${x.total})`, [
            id,
            x.id,
            x.qtde,
          ]);
        }
        await c.query("INSERT INTO auditoria_pedidos (id_pedido, dispositivo, geohash, telefone) VALUES ($1, $2, $3, $4)", [
          id,
          p.dispositivo,
          geohash,
          `+55219${randomInt(10_000_000, 99_999_999)}`,
        ]);
        await c.query("COMMIT");
      }
    });
    // Wait until the connector has published every change.
    const esperado: Record<string, number> = {
      pessoas: 2,
      pedidos: PEDIDOS.length,
      itens_pedidos: itensEsperados,
      auditoria_pedidos: PEDIDOS.length,
    };
    await esperarPublicacao(esperado);
    t = Date.now();
    await construirLakehouse({ raiz: RAIZ, semDw: true });
    tempos.build1 = (Date.now() - t) / 1000;

    t = Date.now();
    kit = await consultasDoLakehouse({ raiz: RAIZ });
    tempos.kit = (Date.now() - t) / 1000;
    spark = await rodarJobSpark({ raiz: RAIZ });
    tempos.spark = spark.segundos;
    console.log(`tempos (s): ${json(tempos)}; job: ${spark.relatorio.split("\n").pop() ?? ""}`);
  });

  test("Spark and the kit give the same answers", () => {
    // Each part first, for a readable failure; then the whole document.
    for (const k of Object.keys(kit) as (keyof ResultadoConsultas)[])
      assert.deepEqual(spark.resultado[k], kit[k], `${k} difere entre o Spark e o kit`);
    assert.deepEqual(spark.resultado, kit);
    assert.deepEqual(Object.keys(spark.resultado), Object.keys(kit), "mesma ordem de chaves");
  });

  test("refined holds exactly this test's orders, each with its rules", async () => {
    const linhas = await tabelaRefined("itens_por_pessoa", RAIZ).linhas();
    const porPedido = new Map(
      linhas.map((l) => [Number(l.id_pedido), { uf: l.uf, local: l.regra_local, dispositivo: l.regra_dispositivo }]),
    );
    assert.deepEqual(
      [...porPedido.keys()].sort((a, b) => a - b),
      [...idsDosPedidos].sort((a, b) => a - b),
      "only this test wrote orders since the first build",
    );
    assert.equal(linhas.length, itensEsperados);
    for (const [i, p] of PEDIDOS.entries()) {
      assert.deepEqual(porPedido.get(idsDosPedidos[i]!), { uf: p.uf, ...p.regras }, `${p.pessoa} em ${p.lugar}`);
    }
  });

  test("the answers are exactly what the five orders make, per UF, rule and category", async () => {
    const r = spark.resultado;
    // Per order: items, units and revenue, from the prices the orders were written with.
    const feitos = PEDIDOS.map((p) => ({
      uf: p.uf,
      itens: p.itens.length,
      unidades: itensDe(p).reduce((s, [, q]) => s + q, 0),
      centavos: itensDe(p).reduce((s, [i, q]) => s + produtos[i]!.centavos * q, 0),
      regras: p.regras,
    }));
    const soma = (xs: typeof feitos) => ({
      pedidos: xs.length,
      itens: xs.reduce((s, x) => s + x.itens, 0),
      unidades: xs.reduce((s, x) => s + x.unidades, 0),
      receita: reais(xs.reduce((s, x) => s + x.centavos, 0)),
    });
    assert.deepEqual(r.totais, soma(feitos));
    const porUf = (linhas: readonly { uf: string | null }[]) => [...linhas].sort((a, b) => String(a.uf).localeCompare(String(b.uf)));
    assert.deepEqual(porUf(r.por_uf), porUf(feitos.map((x) => ({ ...soma([x]), uf: x.uf }))));
    assert.deepEqual(
      porUf(
        r.fraude_por_uf.map((f) => ({
          uf: f.uf,
          pedidos: f.pedidos,
          regra_local: f.regra_local,
          regra_dispositivo: f.regra_dispositivo,
          alguma_regra: f.alguma_regra,
        })),
      ),
      porUf(
        feitos.map((x) => ({
          uf: x.uf,
          pedidos: 1,
          regra_local: Number(x.regras.local),
          regra_dispositivo: Number(x.regras.dispositivo),
          alguma_regra: Number(x.regras.local || x.regras.dispositivo),
        })),
      ),
    );
    // Revenue per category: each item's revenue goes to its product's category.
    const categorias = new Map<string | null, number>();
    for (const p of PEDIDOS)
      for (const [i, q] of itensDe(p))
        categorias.set(produtos[i]!.categoria, (categorias.get(produtos[i]!.categoria) ?? 0) + produtos[i]!.centavos * q);
    assert.deepEqual(
      Object.fromEntries(r.receita_por_categoria.map((c) => [String(c.categoria), c.receita])),
      Object.fromEntries([...categorias].map(([c, v]) => [String(c), reais(v)])),
    );
    // The CDC events and the current rows behind them, table by table.
    const cdc = { pessoas: 2, pedidos: PEDIDOS.length, itens_pedidos: itensEsperados, auditoria_pedidos: PEDIDOS.length };
    for (const [tabela, n] of Object.entries(cdc)) {
      assert.equal(r.raw.eventos_cdc[tabela], n, `raw/cdc/${tabela}: ${json(r.raw)}`);
      assert.equal(r.trusted.linhas[tabela], n, `trusted/${tabela}: ${json(r.trusted)}`);
    }
    const [catalogo] = await query<{ produtos: number; categorias: number }>(
      "oltp",
      "SELECT (SELECT count(*) FROM produtos)::int AS produtos, (SELECT count(*) FROM categorias)::int AS categorias",
    );
    assert.equal(r.trusted.linhas.produtos, catalogo!.produtos, json(r.trusted));
    assert.equal(r.trusted.linhas.categorias, catalogo!.categorias, json(r.trusted));
    assert.match(spark.relatorio, /Pedidos, itens e receita por UF/);
  });

  test("vendas_diarias adds up to itens_por_pessoa", () => {
    const r = spark.resultado;
    assert.equal(r.vendas_diarias.pedidos, r.totais.pedidos);
    assert.equal(r.vendas_diarias.itens, r.totais.itens);
    assert.equal(r.vendas_diarias.receita, r.totais.receita);
    const somaAlguma = r.fraude_por_uf.reduce((s, f) => s + f.alguma_regra, 0);
    assert.equal(r.vendas_diarias.pedidos_alguma_regra, somaAlguma);
    assert.equal(
      r.vendas_por_dia.reduce((s, d) => s + d.pedidos, 0),
      r.totais.pedidos,
    );
  });
});
