// Measuring the detector against the answer key, and reading its alerts back.
import { intervaloWilson, type Intervalo } from "../analises";
import { clienteKafka, lerFaixa } from "../cdc/index";
import { query, withClient } from "../db";
import { ErroDeUso } from "../erros";
import { TOPICO_ALERTAS, garantirTopicoDeAlertas, politicaDoTopico, type Alerta } from "./alertas";
import type { FaixaDePedidos } from "./execucao";
import type { Regra } from "./regras";

export interface MedidaDeRegra {
  regra: Regra | "qualquer";
  /** Orders the detector flagged with this rule (any rule for "qualquer"). */
  alertados: number;
  /** Orders labelled with this fraud type (any type for "qualquer"). */
  rotulados: number;
  vp: number;
  fp: number;
  fn: number;
  precisao: number | null;
  recall: number | null;
  /** Wilson 95% interval of the recall (how sure we are with this many frauds). */
  icRecall: Intervalo | null;
}

export interface MedidaDeteccao {
  faixa: FaixaDePedidos;
  /** Orders in the window (id between faixa.de and faixa.ate). */
  pedidos: number;
  regras: MedidaDeRegra[];
}

/** The id range judged by the last recorded run of the detector (deteccao.execucoes). */
async function ultimaFaixa(): Promise<FaixaDePedidos | null> {
  const rows = await query<{ de: number; ate: number }>(
    "oltp",
    `SELECT primeiro_pedido AS de, ultimo_pedido AS ate FROM deteccao.execucoes
      WHERE primeiro_pedido IS NOT NULL ORDER BY id DESC LIMIT 1`,
  ).catch(() => []);
  return rows[0] ?? null;
}

/**
 * Precision and recall of the alerts (deteccao.alertas) against the answer key
 * (gabarito.rotulos_fraude), per rule and overall, over the orders whose id lies in `faixa`
 * — by default the range the last detector run judged. Honest window: every order in the range
 * counts, so an order the detector never judged shows up as a miss, not as absent.
 */
export async function medirDeteccao(faixa?: FaixaDePedidos): Promise<MedidaDeteccao> {
  const janela = faixa ?? (await ultimaFaixa());
  if (!janela)
    throw new ErroDeUso("Nenhuma execução do detector registrada: rode executarDetector() (ou `npm run detector`) antes de medir.");
  return withClient("oltp", async (client) => {
    const existe = await client.query<{ a: string | null; g: string | null }>(
      "SELECT to_regclass('deteccao.alertas')::text AS a, to_regclass('gabarito.rotulos_fraude')::text AS g",
    );
    if (!existe.rows[0].a) throw new ErroDeUso("A tabela deteccao.alertas não existe: rode o detector antes de medir.");
    if (!existe.rows[0].g)
      throw new ErroDeUso("O gabarito (gabarito.rotulos_fraude) não existe: gere pedidos com os geradores antes de medir.");
    const total = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM public.pedidos WHERE id BETWEEN $1 AND $2", [
      janela.de,
      janela.ate,
    ]);
    const { rows } = await client.query<{ id: number; tipo: string | null; regras: string[] | null }>(
      `SELECT p.id, r.tipo, a.regras
         FROM public.pedidos p
         LEFT JOIN gabarito.rotulos_fraude r ON r.id_pedido = p.id
         LEFT JOIN deteccao.alertas a ON a.id_pedido = p.id
        WHERE p.id BETWEEN $1 AND $2 AND (r.tipo IS NOT NULL OR a.regras IS NOT NULL)`,
      [janela.de, janela.ate],
    );
    const medir = (regra: Regra | "qualquer"): MedidaDeRegra => {
      let vp = 0;
      let fp = 0;
      let fn = 0;
      for (const r of rows) {
        const previsto = regra === "qualquer" ? (r.regras?.length ?? 0) > 0 : (r.regras ?? []).includes(regra);
        const real = regra === "qualquer" ? r.tipo !== null : r.tipo === regra;
        if (previsto && real) vp++;
        else if (previsto) fp++;
        else if (real) fn++;
      }
      const rotulados = vp + fn;
      return {
        regra,
        alertados: vp + fp,
        rotulados,
        vp,
        fp,
        fn,
        precisao: vp + fp > 0 ? vp / (vp + fp) : null,
        recall: rotulados > 0 ? vp / rotulados : null,
        icRecall: rotulados > 0 ? intervaloWilson(vp, rotulados) : null,
      };
    };
    return { faixa: janela, pedidos: total.rows[0].n, regras: [medir("dispositivo"), medir("local"), medir("qualquer")] };
  });
}

/** The largest order id in the OLTP (where a run of the generator ended). */
export async function maiorIdDePedido(): Promise<number> {
  const [r] = await query<{ m: number }>("oltp", "SELECT coalesce(max(id), 0)::bigint AS m FROM public.pedidos");
  return Number(r.m);
}

/** How the alerts topic is configured and what it holds (the notebook shows it). */
export async function descreverTopicoDeAlertas(): Promise<{
  topico: string;
  politica: string | undefined;
  particoes: number;
  mensagens: number;
}> {
  const admin = clienteKafka("liga-sudoers-detector-admin").admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(TOPICO_ALERTAS);
    return {
      topico: TOPICO_ALERTAS,
      politica: await politicaDoTopico(admin),
      particoes: offsets.length,
      mensagens: offsets.reduce((s, p) => s + Number(p.high) - Number(p.low), 0),
    };
  } finally {
    await admin.disconnect();
  }
}

export interface MensagemDeAlerta {
  particao: number;
  offset: string;
  /** The message key (id_pedido as text). */
  chave: string | null;
  alerta: Alerta;
  /** When Kafka stored it (ms since epoch). */
  timestamp: number;
}

/**
 * Every message of `fraude.alertas` from `desde` (offset per partition; default: the beginning)
 * up to the end offsets seen at the call, bounded by timeoutMs. Replays may have written the
 * same key more than once (until compaction): count distinct keys, not messages.
 */
export async function lerAlertas(desde: Record<number, string> = {}, opts: { timeoutMs?: number } = {}): Promise<MensagemDeAlerta[]> {
  const admin = clienteKafka("liga-sudoers-leitor-alertas").admin();
  await admin.connect();
  try {
    await garantirTopicoDeAlertas(admin);
  } finally {
    await admin.disconnect();
  }
  return lerFaixa(
    { [TOPICO_ALERTAS]: desde },
    (_topico, particao, m) =>
      m.value
        ? {
            particao,
            offset: m.offset,
            chave: m.key ? m.key.toString("utf8") : null,
            alerta: JSON.parse(m.value.toString("utf8")) as Alerta,
            timestamp: Number(m.timestamp),
          }
        : null,
    opts,
  );
}

/** The current end offset of each partition of `fraude.alertas`: read from there to see only new alerts. */
export async function fimDosAlertas(): Promise<Record<number, string>> {
  const admin = clienteKafka("liga-sudoers-detector-admin").admin();
  await admin.connect();
  try {
    await garantirTopicoDeAlertas(admin);
    return Object.fromEntries((await admin.fetchTopicOffsets(TOPICO_ALERTAS)).map((p) => [p.partition, p.high]));
  } finally {
    await admin.disconnect();
  }
}
