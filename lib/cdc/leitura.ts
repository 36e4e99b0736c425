// Bounded reads of Kafka topics, the one reader every caller shares: lerEmLotes streams the
// messages between two offset positions to a callback batch by batch (bounded memory: the raw
// layer writes millions of messages as they come), and lerFaixa / lerDesde / ultimasMensagens
// collect a small range on top of it (notebook 04, tests, the detector's alerts).
// Each read uses a throwaway consumer group that commits nothing (Kafka forgets it once it
// leaves): where to resume is the caller's business, given as offsets.
import { randomUUID } from "node:crypto";
import type { Consumer, EachBatchPayload, KafkaMessage } from "kafkajs";
import { ErroDeUso } from "../erros";
import { decodificar, decodificarChave, decodificarTransacao, type EventoCdc, type EventoTransacao } from "./eventos";
import { clienteKafka, comAdmin, conectar } from "./kafka";
import { posicoesFinais, semTopico, topicoDeTransacoes, type Posicoes } from "./topicos";

export interface MensagemCdc<T> {
  topico: string;
  particao: number;
  offset: string;
  /** The message key: the row's primary key, e.g. { id: 123 } (JsonConverter without schema). */
  chave: unknown;
  /** Null for a tombstone. */
  evento: EventoCdc<T> | null;
  /** When the message was written to Kafka (ms since epoch). */
  timestamp: number;
  /** Only on the transaction topic (topicoDeTransacoes()): its BEGIN/END marker; evento is then null. */
  transacao?: EventoTransacao | null;
}

/** A Kafka message of the capture, decoded (a change event, or a marker on the transaction topic). */
export function mensagemCdc<T>(topico: string, particao: number, m: KafkaMessage): MensagemCdc<T> {
  const base = { topico, particao, offset: m.offset, chave: decodificarChave(m.key), timestamp: Number(m.timestamp) };
  if (topico === topicoDeTransacoes()) return { ...base, evento: null, transacao: decodificarTransacao(m.value) };
  return { ...base, evento: decodificar<T>(m.value) };
}

/** Messages of one partition handed to lerEmLotes' callback: in offset order, each exactly once. */
export interface LoteKafka {
  topico: string;
  particao: number;
  mensagens: KafkaMessage[];
}

export interface OpcoesLerEmLotes {
  /** Bound of the whole read (default 15 s): batches handed over by then count, the rest is not read. */
  timeoutMs?: number;
  /** End offsets, exclusive, per partition (default: the end offsets at the call). */
  ate?: Posicoes;
  /** Keep reading past `ate` — whatever arrives meanwhile — until the callback says enough or the timeout. */
  continuar?: boolean;
  /** kafkajs client id (shows in the broker's logs). */
  cliente?: string;
}

export interface ResultadoLerEmLotes {
  /** Per partition, the offset after the last message handed over: where a next read resumes. */
  proximas: Posicoes;
  /** The timeout ended the read (without `continuar`: before every partition reached its end). */
  esgotou: boolean;
}

/** The callback of lerEmLotes; returning true stops the read ("enough"), returning nothing goes on. */
// biome-ignore lint/suspicious/noConfusingVoidType: callbacks that return nothing must fit, under tslab's TypeScript 5.0 too.
export type AoLerLote = (lote: LoteKafka) => boolean | void | Promise<boolean | void>;

/** Per topic, the partitions that still have messages in [desde, ate). */
type Pendentes = Map<string, Set<number>>;

function planejar(desde: Posicoes, fins: Posicoes): { proximas: Posicoes; pendentes: Pendentes } {
  const proximas: Posicoes = {};
  const pendentes: Pendentes = new Map();
  for (const topico of Object.keys(desde)) {
    proximas[topico] = {};
    pendentes.set(topico, new Set());
    for (const [p, fim] of Object.entries(fins[topico] ?? {})) {
      const de = desde[topico]?.[Number(p)] ?? "0";
      proximas[topico][Number(p)] = de;
      if (BigInt(fim) > BigInt(de)) pendentes.get(topico)!.add(Number(p));
    }
  }
  return { proximas, pendentes };
}

const nadaPendente = (pendentes: Pendentes) => [...pendentes.values()].every((s) => s.size === 0);

/**
 * Subscribes, starts the consumer, then places every partition of the subscribed topics at its
 * position — one already at its end too, instead of wherever a new group would start.
 */
async function iniciar(
  consumer: Consumer,
  topicos: string[],
  proximas: Posicoes,
  eachBatch: (p: EachBatchPayload) => Promise<void>,
): Promise<void> {
  await consumer.subscribe({ topics: topicos, fromBeginning: false });
  // run() resolves once the group has joined: seeks then apply to the first fetch.
  await consumer.run({ autoCommit: false, eachBatch });
  for (const t of topicos) {
    for (const [p, offset] of Object.entries(proximas[t] ?? {})) consumer.seek({ topic: t, partition: Number(p), offset });
  }
}

/**
 * Streams every message from `desde` (per topic and partition) up to `ate` (default: the end
 * offsets at the call) to `aoLer`, one partition's batch at a time, awaiting it before the next
 * fetch: memory holds one batch, plus whatever the callback keeps. With `continuar`, messages
 * arriving meanwhile are handed over too, until the callback returns true or the timeout.
 * Bounded: at timeoutMs it stops with what was handed over (esgotou). A callback that throws
 * ends the read with its error, not with kafkajs' retries: the batch would otherwise come again
 * to a callback that may have kept part of it.
 */
export async function lerEmLotes(desde: Posicoes, aoLer: AoLerLote, opts: OpcoesLerEmLotes = {}): Promise<ResultadoLerEmLotes> {
  const continuar = opts.continuar ?? false;
  const fins = opts.ate ?? (await posicoesFinais(Object.keys(desde)));
  const { proximas, pendentes } = planejar(desde, fins);
  const topicos = Object.keys(desde).filter((t) => continuar || pendentes.get(t)!.size > 0);
  const resultado: ResultadoLerEmLotes = { proximas, esgotou: false };
  if (topicos.length === 0) return resultado;
  const groupId = `liga-sudoers-leitor-${randomUUID()}`;
  const consumer = await conectar(clienteKafka(opts.cliente ?? "liga-sudoers-cdc-leitor").consumer({ groupId, maxWaitTimeInMs: 250 }));
  let ativo = true;
  try {
    await new Promise<void>((resolve, reject) => {
      const encerrar = (erro?: { causa: unknown }) => {
        if (!ativo) return;
        ativo = false;
        clearTimeout(relogio);
        if (erro) reject(erro.causa);
        else resolve();
      };
      const relogio = setTimeout(() => {
        resultado.esgotou = ativo;
        encerrar();
      }, opts.timeoutMs ?? 15_000);
      consumer.on(consumer.events.CRASH, (e) => encerrar({ causa: e.payload.error }));
      const eachBatch = async ({ batch, heartbeat }: EachBatchPayload) => {
        if (!ativo) return;
        const { topic, partition } = batch;
        const de = BigInt(proximas[topic]?.[partition] ?? "0");
        const fim = BigInt(fins[topic]?.[partition] ?? "0");
        // Only [position, end): bounded, and never a message twice (a seek may refetch).
        const mensagens = batch.messages.filter((m) => BigInt(m.offset) >= de && (continuar || BigInt(m.offset) < fim));
        let basta = false;
        if (mensagens.length > 0) {
          try {
            basta = (await aoLer({ topico: topic, particao: partition, mensagens })) === true;
          } catch (err) {
            return encerrar({ causa: err });
          }
          proximas[topic]![partition] = String(BigInt(mensagens[mensagens.length - 1]!.offset) + 1n);
        }
        if (BigInt(batch.messages[batch.messages.length - 1]!.offset) + 1n >= fim) pendentes.get(topic)?.delete(partition);
        if (basta || (!continuar && nadaPendente(pendentes))) return encerrar();
        await heartbeat();
      };
      iniciar(consumer, topicos, proximas, eachBatch).catch((err: unknown) => encerrar({ causa: err }));
    });
  } finally {
    ativo = false;
    await consumer.disconnect();
  }
  return resultado;
}

/**
 * Reads every message from `desde` (per topic and partition) up to the end offsets seen at the
 * call, each through `converter` (null: left out), plus — until `parar` says enough or timeoutMs
 * passes — whatever arrives meanwhile when `parar` is given. Bounded: returns what it has at the
 * timeout. For small ranges: everything is kept in memory (lerEmLotes streams instead).
 */
export async function lerFaixa<M>(
  desde: Posicoes,
  converter: (topico: string, particao: number, m: KafkaMessage) => M | null,
  opts: { timeoutMs?: number; parar?: (lidas: M[]) => boolean } = {},
): Promise<M[]> {
  const { parar } = opts;
  const lidas: M[] = [];
  const aoLer = (lote: LoteKafka): boolean => {
    for (const m of lote.mensagens) {
      const convertida = converter(lote.topico, lote.particao, m);
      if (convertida !== null) lidas.push(convertida);
      if (parar?.(lidas)) return true;
    }
    return false;
  };
  await lerEmLotes(desde, aoLer, { timeoutMs: opts.timeoutMs, continuar: parar !== undefined });
  return lidas;
}

/** lerFaixa of change events, decoded, in write order (timestamp, partition, offset). */
export async function lerDesde<T = Record<string, unknown>>(
  desde: Posicoes,
  opts: { timeoutMs?: number; parar?: (lidas: MensagemCdc<T>[]) => boolean } = {},
): Promise<MensagemCdc<T>[]> {
  const lidas = await lerFaixa(desde, (t, p, m) => mensagemCdc<T>(t, p, m), opts);
  return lidas.sort((a, b) => a.timestamp - b.timestamp || a.particao - b.particao || Number(BigInt(a.offset) - BigInt(b.offset)));
}

/**
 * The last `n` messages of a topic across all its partitions (each partition read from its end
 * minus n, then merged by timestamp), bounded by timeoutMs (default 15 s).
 */
export async function ultimasMensagens<T = Record<string, unknown>>(
  topico: string,
  n: number,
  opts: { timeoutMs?: number } = {},
): Promise<MensagemCdc<T>[]> {
  if (!Number.isInteger(n) || n < 1) throw new ErroDeUso(`n inválido: ${n}. Esperado um inteiro ≥ 1.`);
  const desde = await comAdmin("liga-sudoers-cdc-admin", async (admin): Promise<Posicoes> => {
    if (!(await admin.listTopics()).includes(topico)) throw semTopico(topico);
    const offsets = await admin.fetchTopicOffsets(topico);
    const inicio = (low: bigint, high: bigint) => (high - BigInt(n) > low ? high - BigInt(n) : low);
    return { [topico]: Object.fromEntries(offsets.map((p) => [p.partition, String(inicio(BigInt(p.low), BigInt(p.high)))])) };
  });
  const lidas = await lerDesde<T>(desde, { timeoutMs: opts.timeoutMs });
  return lidas.slice(-n);
}
