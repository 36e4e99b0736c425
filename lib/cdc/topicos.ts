// The capture's Kafka topics: their names, their offsets (where to read from), which exist,
// how many messages each holds, creating the table topics up front, and waiting for Debezium
// to publish a change.
import { setTimeout as pausa } from "node:timers/promises";
import { config } from "../config";
import { ErroDeUso, ErroLiga } from "../erros";
import { TABELAS_CAPTURADAS } from "./definicao";
import { comAdmin } from "./kafka";

/** Kafka topic of a captured table: `<CDC_TOPIC_PREFIX>.public.<tabela>`. */
export function topicoDaTabela(tabela: string): string {
  return `${config().connect.topicPrefix}.public.${tabela}`;
}

/** Topic of the BEGIN/END transaction markers (provide.transaction.metadata=true). */
export function topicoDeTransacoes(): string {
  return `${config().connect.topicPrefix}.transaction`;
}

/** Per topic and partition, an offset (string, as kafkajs uses). */
export type Posicoes = Record<string, Record<number, string>>;

/** A topic the student expected is missing: the connector has not been registered (or snapshotted) yet. */
export function semTopico(topico: string): ErroDeUso {
  return new ErroDeUso(`O tópico ${topico} não existe no Kafka: o conector já foi registrado e fez o snapshot? (registrarConector()).`);
}

function posicoes(topicos: string[], ponta: "low" | "high"): Promise<Posicoes> {
  return comAdmin("liga-sudoers-cdc-admin", async (admin) => {
    const existentes = new Set(await admin.listTopics());
    const out: Posicoes = {};
    for (const topico of topicos) {
      if (!existentes.has(topico)) throw semTopico(topico);
      out[topico] = Object.fromEntries((await admin.fetchTopicOffsets(topico)).map((p) => [p.partition, p[ponta]]));
    }
    return out;
  });
}

/** The current end offset of every partition of `topicos`: read from here to see only new messages. */
export function posicoesFinais(topicos: string[]): Promise<Posicoes> {
  return posicoes(topicos, "high");
}

/** The first offset still stored of every partition of `topicos`: read from here to see everything. */
export function posicoesIniciais(topicos: string[]): Promise<Posicoes> {
  return posicoes(topicos, "low");
}

/** Which of `topicos` exist (the connector creates a table's topic with its snapshot). */
export function topicosExistentes(topicos: string[]): Promise<Set<string>> {
  return comAdmin("liga-sudoers-cdc-admin", async (admin) => {
    const existentes = new Set(await admin.listTopics());
    return new Set(topicos.filter((t) => existentes.has(t)));
  });
}

/** Topics of the capture (prefix CDC_TOPIC_PREFIX) with partitions and messages (end − start offsets). */
export function listarTopicos(): Promise<{ topico: string; particoes: number; mensagens: number }[]> {
  const prefixo = `${config().connect.topicPrefix}.`;
  return comAdmin("liga-sudoers-cdc-admin", async (admin) => {
    const topicos = (await admin.listTopics()).filter((t) => t.startsWith(prefixo)).sort();
    const out: { topico: string; particoes: number; mensagens: number }[] = [];
    for (const topico of topicos) {
      const offsets = await admin.fetchTopicOffsets(topico);
      out.push({
        topico,
        particoes: offsets.length,
        mensagens: offsets.reduce((soma, p) => soma + Number(BigInt(p.high) - BigInt(p.low)), 0),
      });
    }
    return out;
  });
}

/**
 * Debezium creates a table's topic with its first event, so an empty table would have none and
 * consumers (the detector, notebook 04) could not subscribe yet: create them up front, with the
 * partitions the connector would use. Existing topics are left as they are.
 */
export function criarTopicosDasTabelas(particoes: number): Promise<void> {
  return comAdmin("liga-sudoers-cdc-topicos", async (admin) => {
    const existentes = new Set(await admin.listTopics());
    const faltam = TABELAS_CAPTURADAS.map(topicoDaTabela).filter((t) => !existentes.has(t));
    if (faltam.length) {
      await admin.createTopics({
        topics: faltam.map((topic) => ({ topic, numPartitions: particoes, replicationFactor: 1 })),
        waitForLeaders: true,
      });
    }
  });
}

/** Messages written to `topico` since `desde` (summed over its partitions). */
function publicadasDesde(agora: Posicoes, desde: Posicoes, topico: string): number {
  return Object.entries(agora[topico] ?? {}).reduce((s, [p, o]) => s + Number(BigInt(o) - BigInt(desde[topico]?.[Number(p)] ?? "0")), 0);
}

/**
 * Waits until each table's topic got at least `esperado[tabela]` messages after `desde` (end
 * offsets taken before the changes were committed): Debezium publishes a moment after the commit.
 */
export async function esperarPublicacao(desde: Posicoes, esperado: Record<string, number>, timeoutMs = 90_000): Promise<void> {
  const limite = Date.now() + timeoutMs;
  const topicos = Object.keys(esperado).map(topicoDaTabela);
  for (;;) {
    const agora = await posicoesFinais(topicos);
    const faltam = Object.entries(esperado).filter(([tabela, n]) => publicadasDesde(agora, desde, topicoDaTabela(tabela)) < n);
    if (faltam.length === 0) return;
    if (Date.now() > limite) {
      throw new ErroLiga(
        `O Debezium não publicou as mudanças em ${Math.round(timeoutMs / 1000)} s: faltam eventos de ${faltam.map(([t]) => t).join(", ")}.`,
      );
    }
    await pausa(500);
  }
}
