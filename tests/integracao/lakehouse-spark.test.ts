// The lakehouse's Spark job (delta_lake/consultas_lakehouse.py, run natively by stack/spark-job.ts
// with PySpark + Delta + s3a) against layers the kit built, under a unique _testes/spark-<uuid>
// prefix (removed at the end): its answers — CDC events and rows per table, orders/items/revenue
// per UF, the total, fraud per rule and UF, revenue per category, vendas_diarias re-added — must
// equal the kit's own (lib/lakehouse/consultas.ts, lib/lake), and include the orders this test
// wrote to the OLTP.
import assert from "node:assert/strict";
import { randomInt, randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { TABELAS_CAPTURADAS, esperarPublicacao, posicoesFinais, prepararCaptura, registrarConector, topicoDaTabela } from "../../lib/cdc";
import { withClient } from "../../lib/db";
import { DadosDeTeste } from "../apoio/oltp";
import { LUGARES_FORA, LUGARES_PERMITIDOS, geohashesPerto, ufDoGeohash, type Lugar } from "../../lib/geo";
import { construirLakehouse, removerRaiz } from "../../lib/lakehouse";
import { consultasDoLakehouse, type ResultadoConsultas } from "../../lib/lakehouse/consultas";
import { criarRng } from "../../lib/random";
import { rodarJobSpark, type ResultadoJobSpark } from "../../stack/spark-job";

const RAIZ = `_testes/spark-${randomUUID()}`;
const dados = new DadosDeTeste();

function lugar(nome: string): Lugar {
  const l = [...LUGARES_PERMITIDOS, ...LUGARES_FORA].find((x) => x.nome === nome);
  assert.ok(l, nome);
  return l;
}

// Two people, five orders: A buys in SP and RJ with one phone, then from Salvador (BA) with a
// new one (both rules); B buys in MG, then from Lisboa (location rule only).
const PEDIDOS = [
  { pessoa: "A", lugar: "São Paulo", dispositivo: "Samsung Galaxy", diasAtras: 3, itens: [[0, 2], [1, 1]] },
  { pessoa: "A", lugar: "Rio de Janeiro", dispositivo: "Samsung Galaxy", diasAtras: 2, itens: [[2, 3]] },
  { pessoa: "A", lugar: "Salvador", dispositivo: "iPhone 15", diasAtras: 1, itens: [[0, 1], [2, 1]] },
  { pessoa: "B", lugar: "Belo Horizonte", dispositivo: "Motorola G", diasAtras: 2, itens: [[1, 4]] },
  { pessoa: "B", lugar: "Lisboa", dispositivo: "Motorola G", diasAtras: 0, itens: [[0, 1]] },
] as const;

const json = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x));

before(async () => {
  await prepararCaptura();
  await registrarConector({ timeoutMs: 120_000 });
});

after(async () => {
  await dados.remover();
  await removerRaiz(RAIZ);
});

describe("lakehouse: the Spark job answers what the kit answers", { timeout: 900_000 }, () => {
  let kit: ResultadoConsultas;
  let spark: ResultadoJobSpark;
  const itensEsperados = PEDIDOS.reduce((s, p) => s + p.itens.length, 0);
  const tempos: Record<string, number> = {};

  before(async () => {
    // Build 0: every table, the catalog from the start of its topics, the rest from their end.
    let t = Date.now();
    await construirLakehouse({ raiz: RAIZ, inicioCdc: "fim", inicioCdcPorTabela: { categorias: "inicio", produtos: "inicio" }, semDw: true });
    tempos.build0 = (Date.now() - t) / 1000;
    const inicio = await posicoesFinais(TABELAS_CAPTURADAS.map(topicoDaTabela));

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
      const { rows: prods } = await c.query<{ id: number; valor_unit: string }>("SELECT id, valor_unit::text FROM produtos ORDER BY id LIMIT 3");
      assert.equal(prods.length, 3, "o catálogo precisa de produtos (04_catalogo.sql)");
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
        for (const x of itens) {
          await c.query(`INSERT INTO itens_pedidos (id_pedido, id_produto, qtde, valor_total) VALUES ($1, $2, $3, ${x.total})`, [id, x.id, x.qtde]);
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
    const esperado: Record<string, number> = { pessoas: 2, pedidos: PEDIDOS.length, itens_pedidos: itensEsperados, auditoria_pedidos: PEDIDOS.length };
    await esperarPublicacao(inicio, esperado);
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
    for (const k of Object.keys(kit) as (keyof ResultadoConsultas)[]) assert.deepEqual(spark.resultado[k], kit[k], `${k} difere entre o Spark e o kit`);
    assert.deepEqual(spark.resultado, kit);
    assert.deepEqual(Object.keys(spark.resultado), Object.keys(kit), "mesma ordem de chaves");
  });

  test("the answers are not trivial: this test's orders are there, per UF and rule", () => {
    const r = spark.resultado;
    assert.ok(r.totais.pedidos >= PEDIDOS.length, json(r.totais));
    assert.ok(r.totais.itens >= itensEsperados, json(r.totais));
    assert.ok(Number(r.totais.receita) > 0);
    assert.ok((r.raw.eventos_cdc.pedidos ?? 0) >= PEDIDOS.length, json(r.raw));
    assert.ok((r.trusted.linhas.auditoria_pedidos ?? 0) >= PEDIDOS.length, json(r.trusted));
    assert.ok((r.trusted.linhas.produtos ?? 0) > 0, json(r.trusted));
    const uf = (u: string) => r.fraude_por_uf.find((f) => f.uf === u);
    for (const u of ["SP", "RJ", "BA", "MG", "fora do Brasil"]) assert.ok(r.por_uf.some((x) => x.uf === u && x.pedidos >= 1), `${u}: ${json(r.por_uf)}`);
    assert.ok((uf("BA")?.regra_local ?? 0) >= 1 && (uf("BA")?.regra_dispositivo ?? 0) >= 1, json(uf("BA")));
    assert.ok((uf("fora do Brasil")?.regra_local ?? 0) >= 1, json(uf("fora do Brasil")));
    assert.ok(r.receita_por_categoria.length >= 1 && r.receita_por_categoria.every((c) => /^\d+\.\d\d$/.test(c.receita)));
    assert.match(spark.relatorio, /Pedidos, itens e receita por UF/);
  });

  test("vendas_diarias adds up to itens_por_pessoa", () => {
    const r = spark.resultado;
    assert.equal(r.vendas_diarias.pedidos, r.totais.pedidos);
    assert.equal(r.vendas_diarias.itens, r.totais.itens);
    assert.equal(r.vendas_diarias.receita, r.totais.receita);
    const somaAlguma = r.fraude_por_uf.reduce((s, f) => s + f.alguma_regra, 0);
    assert.equal(r.vendas_diarias.pedidos_alguma_regra, somaAlguma);
    assert.equal(r.vendas_por_dia.reduce((s, d) => s + d.pedidos, 0), r.totais.pedidos);
  });
});
