// npm run bench -- lakehouse: the three layers built incrementally over a streaming burst, under a
// prefix of their own (removed afterwards). Starting at the topics' end keeps the bench about the
// burst, whatever history the machine holds: catalog and people are taken from the start.
import { randomUUID } from "node:crypto";
import { TABELAS_CAPTURADAS, esperarPublicacao, posicoesFinais, prepararCaptura, registrarConector, topicoDaTabela } from "../lib/cdc";
import { config } from "../lib/config";
import { query } from "../lib/db";
import { dbt } from "../lib/dbt";
import { prepararDw } from "../lib/dw";
import { gerarStreaming } from "../lib/geradores";
import { construirLakehouse, removerRaiz, type ResultadoBuild } from "../lib/lakehouse/index";
import { caminhosDoDbt } from "../stack/python";
import { cacheDir } from "../stack/proc";
import { ErroDeUso, fmt } from "./comum";

const commits = (r: ResultadoBuild) =>
  [...r.rawCdc, ...r.rawDw, ...r.trusted].reduce((s, t) => s + t.commits, 0) +
  (r.refined ? r.refined.itens.commits + r.refined.diarias.commits : 0);

function resumo(nome: string, r: ResultadoBuild): void {
  const s = r.segundos;
  console.log(
    `  ${nome}: raw ${fmt(s.raw, 1)} s, trusted ${fmt(s.trusted, 1)} s, refined ${fmt(s.refined, 1)} s — total ${fmt(s.total, 1)} s, ${fmt(commits(r))} commits`,
  );
}

export async function benchLakehouse(pedidos: number): Promise<Record<string, number | string>> {
  if (!Number.isInteger(pedidos) || pedidos < 100 || pedidos > 1_000_000) {
    throw new ErroDeUso(`--pedidos inválido: ${pedidos}. Esperado um inteiro entre 100 e 1000000.`);
  }
  await prepararCaptura();
  await registrarConector();
  await prepararDw();
  const caminhos = await caminhosDoDbt({ cacheDir: cacheDir(), repoRoot: config().root });
  const raiz = `bench-lakehouse-${randomUUID().slice(0, 8)}`;
  const base = { raiz, modelos: ["fato_pedidos"] };
  try {
    console.log(`Lakehouse sob o prefixo ${raiz}/: catálogo e pessoas desde o início dos tópicos, o resto a partir de agora…`);
    const vazio = await construirLakehouse({
      ...base,
      inicioCdc: "fim",
      inicioCdcPorTabela: { categorias: "inicio", produtos: "inicio", pessoas: "inicio" },
      inicioDw: "agora",
    });
    resumo("build inicial", vazio);

    const desde = await posicoesFinais(TABELAS_CAPTURADAS.map(topicoDaTabela));
    const [{ ultimo }] = await query<{ ultimo: string }>("oltp", "SELECT coalesce(max(id), 0)::text AS ultimo FROM pedidos");
    const porTick = Math.min(1000, pedidos);
    const burst = await gerarStreaming({
      ticks: Math.ceil(pedidos / porTick),
      pedidosPorTick: porTick,
      pessoasPorTick: 20,
      intervaloMs: 0,
      seed: 4242,
    });
    const [{ n: itens }] = await query<{ n: number }>("oltp", "SELECT count(*)::int AS n FROM itens_pedidos WHERE id_pedido > $1", [
      ultimo,
    ]);
    console.log(
      `+${fmt(burst.pedidos)} pedidos (${fmt(itens)} itens, ${fmt(burst.pessoasNovas)} pessoas novas) em ${fmt(burst.segundos, 1)} s; dbt para o rótulo…`,
    );
    // The snapshot first, as `dbt build` does: on a fresh DW the marts read it.
    for (const comando of ["snapshot", "run"]) {
      const r = await dbt([comando], { caminhos, aoLinha: () => undefined });
      if (r.codigo !== 0) throw new Error(`dbt ${comando} falhou (código ${r.codigo}): veja dbt_project/logs/dbt.log`);
    }
    await esperarPublicacao(
      desde,
      { pessoas: burst.pessoasNovas, pedidos: burst.pedidos, itens_pedidos: itens, auditoria_pedidos: burst.pedidos },
      300_000,
    );

    const incremental = await construirLakehouse(base);
    resumo("build incremental", incremental);
    const eventos = incremental.rawCdc.reduce((s, t) => s + t.linhas, 0);
    const noRefined = incremental.refined?.itens.inseridas ?? 0;
    if (noRefined !== itens) throw new Error(`o refined recebeu ${noRefined} itens; esperado ${itens}, os do burst`);
    console.log(
      `  ${fmt(eventos)} eventos CDC → raw a ${fmt(eventos / incremental.segundos.raw)} eventos/s, trusted a ${fmt(eventos / incremental.segundos.trusted)} eventos/s; ${fmt(noRefined)} itens no refined, exatamente os do burst`,
    );

    const repetido = await construirLakehouse(base);
    resumo("build sem nada novo", repetido);
    if (commits(repetido) !== 0) throw new Error(`o build sem nada novo fez ${commits(repetido)} commits; esperado 0`);

    const s1 = (x: number) => Math.round(x * 10) / 10;
    return {
      bench: "lakehouse",
      orders: burst.pedidos,
      items: itens,
      cdc_events: eventos,
      raw_s: s1(incremental.segundos.raw),
      trusted_s: s1(incremental.segundos.trusted),
      refined_s: s1(incremental.segundos.refined),
      incremental_s: s1(incremental.segundos.total),
      events_per_s: Math.round(eventos / incremental.segundos.total),
      noop_s: s1(repetido.segundos.total),
    };
  } finally {
    await removerRaiz(raiz);
  }
}
