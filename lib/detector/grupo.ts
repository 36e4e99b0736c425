// The detector's consumer group: where a new group starts (the current end of the CDC topics)
// and the rule of one detector per group.
import type { Admin } from "kafkajs";
import { topicoDaTabela } from "../cdc/index";
import { ErroDeUso } from "../erros";
import type { TabelaDetector } from "./motor";

/** The detector's consumer group: its committed offsets are where a restart resumes. */
export const GRUPO_PADRAO = "liga-sudoers-detector";

/** Session timeout of the detector's consumer: a killed detector leaves the group after this long. */
export const SESSAO_MS = 10_000;

const pausa = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The two CDC topics the detector reads, and which table each carries. */
export function topicosDeEntrada(): { topicos: string[]; tabelaDe: (topico: string) => TabelaDetector } {
  const pedidos = topicoDaTabela("pedidos");
  return { topicos: [pedidos, topicoDaTabela("auditoria_pedidos")], tabelaDe: (t) => (t === pedidos ? "pedidos" : "auditoria_pedidos") };
}

/**
 * A group with no committed offset on some partition gets the partition's current end: it will
 * see only what is published from now on (and nothing between now and its first fetch is lost).
 * Returns true when the group was new.
 */
export async function posicionarGrupoNoFim(admin: Admin, grupo: string, topicos: string[]): Promise<boolean> {
  let novo = false;
  const atuais = await admin.fetchOffsets({ groupId: grupo, topics: topicos });
  for (const { topic, partitions } of atuais) {
    const semCommit = partitions.filter((p) => Number(p.offset) < 0).map((p) => p.partition);
    if (semCommit.length === 0) continue;
    novo = true;
    const fins = await admin.fetchTopicOffsets(topic);
    await admin.setOffsets({
      groupId: grupo,
      topic,
      partitions: fins.filter((f) => semCommit.includes(f.partition)).map((f) => ({ partition: f.partition, offset: f.high })),
    });
  }
  return novo;
}

/**
 * One detector per group: the two halves of an order travel in different topics whose keys
 * ({"id":…} and {"id_pedido":…}) hash to different partitions, so two members of a group would
 * each get halves the other needs. A member left behind by a killed detector expires after the
 * session timeout: wait that long before refusing.
 */
export async function exigirGrupoVazio(admin: Admin, grupo: string): Promise<void> {
  const limite = Date.now() + SESSAO_MS + 5000;
  for (;;) {
    const { groups } = await admin.describeGroups([grupo]);
    const membros = groups[0]?.members.length ?? 0;
    if (membros === 0) return;
    if (Date.now() > limite) {
      throw new ErroDeUso(
        `Já há um detector ativo no grupo ${grupo}. Cada grupo aceita um detector só (as duas metades de um pedido ` +
          "precisam chegar ao mesmo processo): pare o outro ou use outro grupo (--grupo).",
      );
    }
    await pausa(500);
  }
}
