// `npm run bench -- dbt`: tops the OLTP up to --pedidos orders, then a full `dbt build
// --full-refresh` and, after --novos more orders, an incremental `dbt build` that must add exactly
// the new items. Wall time (with dbt's own start-up) and dbt's clock are both reported.
import { config } from "../lib/config";
import { query } from "../lib/db";
import { dbt, type ExecucaoDbt } from "../lib/dbt";
import { prepararDw } from "../lib/dw";
import { garantirPessoas, gerarHistorico } from "../lib/geradores";
import { cacheDir } from "../stack/proc";
import { caminhosDoDbt } from "../stack/python";
import { fmt } from "./comum";

const contar = async (banco: "oltp" | "dw", sql: string) => Number((await query<{ n: string }>(banco, sql))[0].n);

async function dbtMedido(args: string[], caminhos: string[]): Promise<ExecucaoDbt> {
  const r = await dbt(args, { caminhos, aoLinha: () => undefined });
  if (r.codigo !== 0) {
    const falhas = r.resultados.filter((n) => !["success", "pass"].includes(n.status)).map((n) => `${n.nome}: ${n.mensagem}`);
    throw new Error(`dbt ${args.join(" ")} falhou (código ${r.codigo}): ${falhas.join("; ") || "veja dbt_project/logs/dbt.log"}`);
  }
  const ehTeste = (n: { tipo: string }) => n.tipo === "test" || n.tipo === "unit_test";
  const porModelo = r.resultados.filter((n) => !ehTeste(n)).sort((a, b) => b.segundos - a.segundos);
  const testes = r.resultados.filter(ehTeste);
  for (const n of porModelo)
    console.log(`    ${n.nome.padEnd(34)} ${fmt(n.segundos, 2).padStart(7)} s${n.linhas === null ? "" : `  ${fmt(n.linhas)} linhas`}`);
  console.log(
    `    ${fmt(testes.length)} testes: ${fmt(
      testes.reduce((t, n) => t + n.segundos, 0),
      2,
    )} s somados`,
  );
  return r;
}

export async function benchDbt(pedidos: number, novos: number): Promise<Record<string, number | string>> {
  const caminhos = await caminhosDoDbt({ cacheDir: cacheDir(), repoRoot: config().root });
  await prepararDw();
  const existentes = await contar("oltp", "SELECT count(*) AS n FROM public.pedidos");
  if (existentes < pedidos) {
    await garantirPessoas(10_000, 7);
    console.log(`O OLTP tem ${fmt(existentes)} pedidos: gerando mais ${fmt(pedidos - existentes)} históricos…`);
    await gerarHistorico({ pedidos: pedidos - existentes, seed: 42 });
  }
  const total = await contar("oltp", "SELECT count(*) AS n FROM public.pedidos");
  console.log(`dbt build --full-refresh com ${fmt(total)} pedidos no OLTP:`);
  const cheio = await dbtMedido(["build", "--full-refresh"], caminhos);
  const itensAntes = await contar("dw", "SELECT count(*) AS n FROM marts.fato_itens_pedido");
  const g = await gerarHistorico({ pedidos: novos, seed: 43 });
  console.log(`+${fmt(g.pedidos)} pedidos (${fmt(g.itens)} itens); dbt build incremental:`);
  const incremental = await dbtMedido(["build"], caminhos);
  const itensDepois = await contar("dw", "SELECT count(*) AS n FROM marts.fato_itens_pedido");
  if (itensDepois - itensAntes !== g.itens)
    throw new Error(`o build incremental acrescentou ${itensDepois - itensAntes} itens ao fato; esperado ${g.itens}`);
  const s = (x: number | null) => Math.round((x ?? NaN) * 10) / 10;
  console.log(
    `  total (relógio, com a partida do dbt): cheio ${fmt(cheio.segundos, 1)} s, incremental ${fmt(incremental.segundos, 1)} s; ` +
      `pelo dbt (sem a partida): ${fmt(s(cheio.segundosDbt), 1)} s e ${fmt(s(incremental.segundosDbt), 1)} s. +${fmt(g.itens)} itens no fato, exatamente os novos.`,
  );
  return {
    bench: "dbt",
    orders: total,
    full_s: s(cheio.segundos),
    incremental_s: s(incremental.segundos),
    full_dbt_s: s(cheio.segundosDbt),
    incremental_dbt_s: s(incremental.segundosDbt),
  };
}
