// Long-running consumers of the capture: a consumer group delivering decoded change events
// at-least-once (committed after the handler), and a bounded tail built on it for notebooks.
import { randomUUID } from "node:crypto";
import { clienteKafka, conectar } from "./kafka";
import { mensagemCdc, type MensagemCdc } from "./leitura";
import { posicoesFinais, type Posicoes } from "./topicos";

export interface OpcoesConsumidor {
  /** Consumer group: its committed offsets survive restarts (a long-running consumer needs a fixed name). */
  grupo: string;
  /** Where a group WITHOUT committed offsets starts: the beginning (true) or only new messages (false, default). */
  doInicio?: boolean;
  /** Start each listed partition exactly here instead (e.g. posicoesFinais() taken before making changes). */
  desde?: Posicoes;
  /** Called once the group has its partitions and start offsets: changes made from then on are seen. */
  aoIniciar?: () => void;
  /** Commit offsets automatically (default true). false: nothing is committed (throwaway readers). */
  commitAutomatico?: boolean;
}

export interface ConsumidorCdc {
  /** Stops: finishes the message in hand, commits its offset, leaves the group. Idempotent. */
  parar(): Promise<void>;
  /** Rejects if the consumer crashes for good (kafkajs gave up retrying); resolves after parar(). */
  terminado: Promise<void>;
}

/**
 * A long-running consumer in a group, delivering decoded change events in order per partition;
 * resolves once the group has joined. At-least-once: the offset of a message is committed only
 * after `aoReceber` resolves, so after a crash or restart the messages since the last commit come
 * again — make `aoReceber` idempotent (e.g. an upsert keyed by the row's id). If `aoReceber`
 * throws, kafkajs retries and, after its retries, restarts the consumer from the last committed
 * offset. Several processes with the same `grupo` share the partitions (one reader per
 * partition); a rebalance may redeliver the messages in flight. Stop it with parar() (e.g. on
 * SIGINT/SIGTERM) so the last offsets are committed.
 */
export async function consumirEmGrupo<T = Record<string, unknown>>(
  topicos: string[],
  aoReceber: (m: MensagemCdc<T>) => void | Promise<void>,
  opts: OpcoesConsumidor,
): Promise<ConsumidorCdc> {
  const consumer = clienteKafka(`liga-sudoers-${opts.grupo}`).consumer({ groupId: opts.grupo, maxWaitTimeInMs: 500 });
  let terminar: () => void = () => undefined;
  let falhar: (e: Error) => void = () => undefined;
  const terminado = new Promise<void>((resolve, reject) => {
    terminar = resolve;
    falhar = reject;
  });
  // Avoid an unhandled rejection when the caller only uses parar().
  terminado.catch(() => undefined);
  consumer.on(consumer.events.CRASH, (e) => {
    if (!e.payload.restart) falhar(e.payload.error);
  });
  await conectar(consumer);
  try {
    await consumer.subscribe({ topics: topicos, fromBeginning: opts.doInicio ?? false });
    // kafkajs resolves run() once the group has joined and synced; seeks then apply to the first fetch.
    await consumer.run({
      autoCommit: opts.commitAutomatico ?? true,
      eachMessage: async ({ topic, partition, message }) => {
        await aoReceber(mensagemCdc<T>(topic, partition, message));
      },
    });
    for (const [topic, particoes] of Object.entries(opts.desde ?? {})) {
      for (const [p, offset] of Object.entries(particoes)) consumer.seek({ topic, partition: Number(p), offset });
    }
  } catch (err) {
    await consumer.disconnect().catch(() => undefined);
    throw err;
  }
  opts.aoIniciar?.();
  let parando: Promise<void> | undefined;
  return {
    terminado,
    parar() {
      parando ??= consumer.disconnect().then(() => terminar());
      return parando;
    },
  };
}

/**
 * Tails `topicos` for a bounded time: until `ate()` is true (checked after each message and every
 * 200 ms) or `duracaoMs` passes (default 30 s). Without `grupo`, a throwaway group that commits
 * nothing and starts exactly at the end offsets of the call (so a change made in `aoIniciar`, or
 * any time after the call, is seen); `doInicio` reads from the beginning instead.
 */
export async function acompanhar<T>(
  topicos: string[],
  aoReceber: (m: MensagemCdc<T>) => void | Promise<void>,
  opts: { grupo?: string; duracaoMs?: number; ate?: () => boolean; doInicio?: boolean; aoIniciar?: () => void },
): Promise<void> {
  const limite = Date.now() + (opts.duracaoMs ?? 30_000);
  const desde = opts.grupo === undefined && !opts.doInicio ? await posicoesFinais(topicos) : undefined;
  let acordar: () => void = () => undefined;
  const sinal = new Promise<void>((resolve) => (acordar = resolve));
  const bastou = () => Date.now() >= limite || opts.ate?.() === true;
  const consumidor = await consumirEmGrupo<T>(
    topicos,
    async (m) => {
      // Delivered even past the bound: its offset may be committed, so dropping it would lose it.
      await aoReceber(m);
      if (bastou()) acordar();
    },
    {
      grupo: opts.grupo ?? `liga-sudoers-acompanhar-${randomUUID()}`,
      doInicio: opts.doInicio,
      desde,
      aoIniciar: opts.aoIniciar,
      commitAutomatico: opts.grupo !== undefined,
    },
  );
  const relogio = setInterval(() => {
    if (bastou()) acordar();
  }, 200);
  try {
    await Promise.race([sinal, consumidor.terminado]);
  } finally {
    clearInterval(relogio);
    await consumidor.parar();
  }
}
