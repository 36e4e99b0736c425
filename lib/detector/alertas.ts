// The alerts the detector publishes: the message (one per suspicious order, key = id_pedido) and
// its topic, compacted so that a replayed alert keeps one value per order.
import type { Admin, ConfigResourceTypes } from "kafkajs";
import type { Localizacao } from "../geo";
import type { Regra } from "./regras";

/** The alerts topic: key = id_pedido, compacted so a replay keeps one value per order. */
export const TOPICO_ALERTAS = "fraude.alertas";

// kafkajs' ConfigResourceTypes enum is not among the names Node's ESM loader detects in its
// CommonJS index: the protocol value of a topic resource, typed as the enum.
const RECURSO_TOPICO = 2 as ConfigResourceTypes.TOPIC;

export interface Alerta {
  id_pedido: number;
  id_pessoa: number;
  regras: Regra[];
  dispositivo: string;
  geohash: string;
  uf: Localizacao;
  /** Sale instant as Debezium sent it (ISO 8601, µs). */
  dt_venda: string;
  /** Commit instant of the order's transaction (Debezium source.ts_ms). */
  commit_ts_ms: number;
  /** When the detector judged it (ISO 8601). */
  detectado_em: string;
}

/** Creates the alerts topic (compacted, one partition) or makes sure an existing one is compacted. */
export async function garantirTopicoDeAlertas(admin: Admin): Promise<void> {
  const existentes = await admin.listTopics();
  if (!existentes.includes(TOPICO_ALERTAS)) {
    // kafkajs reads the broker's error code itself: a topic another detector created meanwhile
    // (TOPIC_ALREADY_EXISTS) resolves to false instead of throwing; then the policy is checked.
    const criado = await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: TOPICO_ALERTAS, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: "cleanup.policy", value: "compact" }] },
      ],
    });
    if (criado) return;
  }
  if ((await politicaDoTopico(admin)) !== "compact") {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: RECURSO_TOPICO, name: TOPICO_ALERTAS, configEntries: [{ name: "cleanup.policy", value: "compact" }] }],
    });
  }
}

export async function politicaDoTopico(admin: Admin): Promise<string | undefined> {
  const d = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: RECURSO_TOPICO, name: TOPICO_ALERTAS, configNames: ["cleanup.policy"] }],
  });
  return d.resources[0]?.configEntries.find((c) => c.configName === "cleanup.policy")?.configValue;
}
