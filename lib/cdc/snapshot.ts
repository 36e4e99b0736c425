// The connector's initial snapshot: whether Connect says it is over, and waiting (bounded) until
// every captured table has reached Kafka.
import { setTimeout as pausa } from "node:timers/promises";
import { withClient } from "../db";
import { ErroLiga } from "../erros";
import { rest } from "./connect";
import { CONECTOR, TABELAS_CAPTURADAS } from "./definicao";
import { listarTopicos, topicoDaTabela } from "./topicos";

export interface ProgressoSnapshot {
  tabela: string;
  topico: string;
  linhas: number;
  mensagens: number;
}

/**
 * True once the connector's committed source offset says the initial snapshot is over
 * (snapshot_completed, or a streaming offset without the snapshot key). Offsets are flushed
 * every offset.flush.interval.ms, so this lags the snapshot by a few seconds.
 */
async function snapshotConcluido(nome: string = CONECTOR): Promise<boolean> {
  const r = await rest("GET", `/connectors/${encodeURIComponent(nome)}/offsets`);
  if (r.status !== 200) return false;
  const offset = (r.corpo as { offsets?: { offset?: Record<string, unknown> }[] }).offsets?.[0]?.offset;
  return offset !== undefined && (offset.snapshot_completed === true || !("snapshot" in offset));
}

/** Rows per captured table and messages per table topic, side by side. */
async function progresso(): Promise<ProgressoSnapshot[]> {
  const topicos = new Map((await listarTopicos()).map((t) => [t.topico, t.mensagens]));
  const linhas = await withClient("oltp", async (client) => {
    const out: Record<string, number> = {};
    for (const t of TABELAS_CAPTURADAS) out[t] = Number((await client.query(`SELECT count(*) AS n FROM public.${t}`)).rows[0].n);
    return out;
  });
  return TABELAS_CAPTURADAS.map((tabela) => ({
    tabela,
    topico: topicoDaTabela(tabela),
    linhas: linhas[tabela],
    mensagens: topicos.get(topicoDaTabela(tabela)) ?? 0,
  }));
}

/**
 * Waits (bounded) until the initial snapshot has reached Kafka: every captured table's topic holds
 * at least as many messages as the table has rows, or (when retention already dropped old
 * messages) the connector's offset says the snapshot is complete. Rejects at the timeout with
 * the progress so far.
 */
export async function esperarSnapshot(timeoutMs = 180_000): Promise<{ segundos: number; tabelas: ProgressoSnapshot[] }> {
  const inicio = Date.now();
  for (;;) {
    const tabelas = await progresso();
    // An empty table never gets a topic; a filled one is done when its topic caught up.
    if (tabelas.every((t) => t.mensagens >= t.linhas) || (await snapshotConcluido())) {
      return { segundos: (Date.now() - inicio) / 1000, tabelas };
    }
    if (Date.now() - inicio >= timeoutMs) {
      const faltam = tabelas.filter((t) => t.mensagens < t.linhas).map((t) => `${t.tabela} ${t.mensagens}/${t.linhas}`);
      throw new ErroLiga(
        `O snapshot não terminou em ${Math.round(timeoutMs / 1000)} s (mensagens/linhas: ${faltam.join(", ")}). ` +
          "Veja statusConector() e `npm run stack -- logs connect`.",
      );
    }
    await pausa(1000);
  }
}
