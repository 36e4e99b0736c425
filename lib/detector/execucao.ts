// npm run detector: the engine (motor.ts) inside a Kafka consumer group, with a producer for the
// alerts and a PostgreSQL connection for the state. The run, phase by phase: check the options,
// connect and check the platform (CDC topics, alerts topic, one detector per group, the group
// positioned), load the state, then consume — each step judges what it can, publishes the alerts
// and only then commits the offsets — until the duration, `ate()` or a fatal error.
import { Partitioners, type Admin, type Consumer, type Producer } from "kafkajs";
import type pg from "pg";
import { clienteKafka, conectar } from "../cdc/index";
import { connect } from "../db";
import { ErroDeUso } from "../erros";
import { garantirTopicoDeAlertas, TOPICO_ALERTAS, type Alerta } from "./alertas";
import { buscarPedidos, carregarEstadoInicial, garantirTabelasDeteccao, gravarAlertas, historicoDoBanco, registrarExecucao } from "./banco";
import { exigirGrupoVazio, GRUPO_PADRAO, posicionarGrupoNoFim, SESSAO_MS, topicosDeEntrada } from "./grupo";
import { MAX_PENDENTES_PADRAO, MotorDeDeteccao, type Julgamento } from "./motor";
import type { Regra } from "./regras";

export interface ProgressoDetector {
  eventos: number;
  pedidosJulgados: number;
  alertas: number;
  porRegra: Record<Regra, number>;
  /** Orders half-joined or waiting in the buffer. */
  pendentes: number;
  /** Smallest id_pedido in the buffer (null when empty): every order below it was judged (or existed before the run). */
  menorPendente: number | null;
  /** Halves completed from the database because the other half lay before the group's offsets. */
  completadosDoBanco: number;
  descartados: number;
  /** Orders judged by the safety net (something before them never arrived in time). */
  julgadosPorTempo: number;
  /** Smallest and largest id_pedido judged in this run (null before the first). */
  primeiroPedido: number | null;
  ultimoPedido: number | null;
  /** detectado_em − commit of the last alerted order, ms. */
  ultimoAtrasoMs: number | null;
  segundos: number;
}

export interface InicioDetector {
  grupo: string;
  topicos: string[];
  /** The group had no committed offsets: it starts at the end of the topics. */
  grupoNovo: boolean;
  pessoas: number;
  pedidos: number;
}

export interface ResumoDetector extends ProgressoDetector {
  grupo: string;
  inicio: Date;
  fim: Date;
  /** The range of order ids this run judged, for medirDeteccao (null if it judged none). */
  faixa: FaixaDePedidos | null;
}

export interface FaixaDePedidos {
  de: number;
  ate: number;
}

export interface OpcoesDetector {
  /** Stop after this long (no limit when neither duracaoMs nor ate is given). */
  duracaoMs?: number;
  /** Checked every 100 ms: true stops cleanly (commit what is done, disconnect). */
  ate?: () => boolean;
  aoAlertar?: (alerta: Alerta) => void;
  aoProgredir?: (p: ProgressoDetector) => void;
  /** Called when alerts were published and the commit of their offsets waits atrasoCommitMs. */
  aoAtrasarCommit?: (alertas: number) => void;
  /** Called once the state is loaded and the group positioned: orders committed from now on will be judged. */
  aoIniciar?: (info: InicioDetector) => void;
  grupo?: string;
  /** Also write alerts to deteccao.alertas (default true). */
  gravarTabela?: boolean;
  maxPendentes?: number;
  /**
   * Waits this long between publishing a step's alerts and committing its offsets (default 0).
   * Only to demonstrate and test at-least-once: a crash in that window replays alerts.
   */
  atrasoCommitMs?: number;
}

const pausa = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The options checked before anything connects (ErroDeUso on a bad one); returns the group. */
function validarOpcoes(opts: OpcoesDetector): string {
  if (opts.duracaoMs !== undefined && !(Number.isInteger(opts.duracaoMs) && opts.duracaoMs > 0)) {
    throw new ErroDeUso(`Duração inválida: ${opts.duracaoMs}. Esperado um número inteiro de milissegundos maior que zero.`);
  }
  if (opts.maxPendentes !== undefined && !(Number.isInteger(opts.maxPendentes) && opts.maxPendentes > 0)) {
    throw new ErroDeUso(`Limite do buffer inválido: ${opts.maxPendentes}. Esperado um inteiro maior que zero.`);
  }
  if (
    opts.atrasoCommitMs !== undefined &&
    !(Number.isInteger(opts.atrasoCommitMs) && opts.atrasoCommitMs >= 0 && opts.atrasoCommitMs <= 60_000)
  ) {
    throw new ErroDeUso(`Atraso do commit inválido: ${opts.atrasoCommitMs}. Esperado um inteiro de 0 a 60000 ms.`);
  }
  const grupo = opts.grupo ?? GRUPO_PADRAO;
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(grupo)) {
    throw new ErroDeUso(`Grupo inválido: "${grupo}". Use letras, dígitos, ponto, hífen ou sublinhado.`);
  }
  return grupo;
}

/** The CDC topics exist, the alerts topic is compacted, the group is free: returns whether the group was new. */
async function prepararTopicosEGrupo(admin: Admin, grupo: string, topicos: string[]): Promise<boolean> {
  const existentes = new Set(await admin.listTopics());
  const faltam = topicos.filter((t) => !existentes.has(t));
  if (faltam.length) {
    throw new ErroDeUso(
      `Os tópicos do CDC não existem: ${faltam.join(", ")}. Registre o conector Debezium primeiro ` +
        "(notebook 04, ou prepararCaptura() e registrarConector() de lib/cdc).",
    );
  }
  await garantirTopicoDeAlertas(admin);
  await exigirGrupoVazio(admin, grupo);
  // Positioned BEFORE the bootstrap: an order committed in between is in both, never in neither.
  return posicionarGrupoNoFim(admin, grupo, topicos);
}

/** Everything one processing step works with. */
interface Execucao {
  opts: OpcoesDetector;
  gravarTabela: boolean;
  inicio: Date;
  motor: MotorDeDeteccao;
  db: pg.ClientBase;
  producer: Producer;
  consumer: Consumer;
  prog: ProgressoDetector;
}

function progressoInicial(): ProgressoDetector {
  return {
    eventos: 0,
    pedidosJulgados: 0,
    alertas: 0,
    porRegra: { dispositivo: 0, local: 0 },
    pendentes: 0,
    menorPendente: null,
    completadosDoBanco: 0,
    descartados: 0,
    julgadosPorTempo: 0,
    primeiroPedido: null,
    ultimoPedido: null,
    ultimoAtrasoMs: null,
    segundos: 0,
  };
}

/** Completes lone halves from the database, refreshes the history of the people to judge, judges. */
async function julgar(e: Execucao): Promise<{ julgados: Julgamento[]; buscados: number; agora: number }> {
  const buscar = e.motor.incompletosParaBuscar();
  if (buscar.length) e.motor.completarDoBanco(buscar, await buscarPedidos(e.db, buscar));
  const agora = Date.now();
  // Kafka gives no order across partitions: an earlier transaction of the same person may
  // still be unread. It is committed, so the database has it.
  const pessoas = e.motor.pessoasAJulgar(agora);
  if (pessoas.length) e.motor.reforcarEstado(await historicoDoBanco(e.db, pessoas));
  return { julgados: e.motor.colher(agora), buscados: buscar.length, agora };
}

/** Counts the judged orders and turns the suspicious ones into alerts. */
function alertasDe(e: Execucao, julgados: Julgamento[], agora: number): Alerta[] {
  const { prog } = e;
  const detectadoEm = new Date(agora).toISOString();
  const alertas: Alerta[] = [];
  for (const j of julgados) {
    prog.pedidosJulgados++;
    if (j.porTempo) prog.julgadosPorTempo++;
    prog.primeiroPedido = prog.primeiroPedido === null ? j.id_pedido : Math.min(prog.primeiroPedido, j.id_pedido);
    prog.ultimoPedido = prog.ultimoPedido === null ? j.id_pedido : Math.max(prog.ultimoPedido, j.id_pedido);
    if (j.regras.length === 0) continue;
    alertas.push({
      id_pedido: j.id_pedido,
      id_pessoa: j.id_pessoa,
      regras: j.regras,
      dispositivo: j.dispositivo,
      geohash: j.geohash,
      uf: j.uf,
      dt_venda: j.dt_venda_iso,
      commit_ts_ms: j.commit_ts_ms,
      detectado_em: detectadoEm,
    });
  }
  return alertas;
}

/** Publishes the alerts (Kafka, acks=all) and writes them to deteccao.alertas; resolves once both hold. */
async function publicar(e: Execucao, alertas: Alerta[], agora: number): Promise<void> {
  if (alertas.length === 0) return;
  // Both must succeed before the offsets are committed; neither depends on the other.
  await Promise.all([
    e.producer.send({
      topic: TOPICO_ALERTAS,
      acks: -1,
      messages: alertas.map((a) => ({ key: String(a.id_pedido), value: JSON.stringify(a) })),
    }),
    e.gravarTabela ? gravarAlertas(e.db, alertas) : undefined,
  ]);
  for (const a of alertas) {
    e.prog.alertas++;
    for (const r of a.regras) e.prog.porRegra[r]++;
    e.prog.ultimoAtrasoMs = agora - a.commit_ts_ms;
    e.opts.aoAlertar?.(a);
  }
  if (e.opts.atrasoCommitMs) {
    e.opts.aoAtrasarCommit?.(alertas.length);
    await pausa(e.opts.atrasoCommitMs);
  }
}

/** One step: judge, publish, and only then commit the offsets of everything judged. */
async function processar(e: Execucao): Promise<void> {
  const { julgados, buscados, agora } = await julgar(e);
  await publicar(e, alertasDe(e, julgados, agora), agora);
  // Only now: everything before these offsets has its alert acknowledged.
  const offsets = e.motor.offsetsParaConfirmar();
  if (offsets.length) await e.consumer.commitOffsets(offsets);
  const { prog, motor } = e;
  prog.eventos = motor.contadores.eventos;
  prog.pendentes = motor.pendentesNoBuffer;
  prog.menorPendente = motor.menorPendente();
  prog.completadosDoBanco = motor.contadores.doBanco;
  prog.descartados = motor.contadores.descartados;
  prog.segundos = (Date.now() - e.inicio.getTime()) / 1000;
  if (julgados.length || offsets.length || buscados) e.opts.aoProgredir?.({ ...prog, porRegra: { ...prog.porRegra } });
}

/**
 * Consumes until the duration, `ate()` or a fatal error (returned); a last step judges what it
 * can. Steps run one at a time: a batch from kafkajs and the safety-net timer share the engine.
 */
async function consumir(e: Execucao, entrada: ReturnType<typeof topicosDeEntrada>, aoIniciar: () => void): Promise<Error | undefined> {
  const estado: { fatal?: Error } = {};
  let fila: Promise<void> = Promise.resolve();
  const exclusivo = (fn: () => Promise<void>): Promise<void> => {
    const p = fila.then(fn);
    fila = p.catch(() => undefined);
    return p;
  };
  await e.consumer.subscribe({ topics: entrada.topicos, fromBeginning: false });
  await e.consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      if (estado.fatal) return;
      try {
        await exclusivo(async () => {
          const tabela = entrada.tabelaDe(batch.topic);
          const agora = Date.now();
          for (const m of batch.messages) {
            e.motor.receberBruto(tabela, m.value, { topico: batch.topic, particao: batch.partition, offset: Number(m.offset) }, agora);
            resolveOffset(m.offset);
          }
          await processar(e);
        });
        await heartbeat();
      } catch (err) {
        // Nothing of this batch was committed: stop and let a restart replay it.
        estado.fatal ??= err as Error;
      }
    },
  });
  e.consumer.on(e.consumer.events.CRASH, (ev) => {
    if (!ev.payload.restart) estado.fatal ??= ev.payload.error;
  });
  aoIniciar();

  const limite = e.opts.duracaoMs === undefined ? Infinity : e.inicio.getTime() + e.opts.duracaoMs;
  let ultimoTique = Date.now();
  while (!estado.fatal && Date.now() < limite && !(e.opts.ate?.() ?? false)) {
    await pausa(100);
    // The safety net also needs a turn when no message arrives.
    if (Date.now() - ultimoTique >= 500 && e.motor.pendentesNoBuffer > 0) {
      ultimoTique = Date.now();
      await exclusivo(() => processar(e)).catch((err: Error) => {
        estado.fatal ??= err;
      });
    }
  }
  if (!estado.fatal) {
    await exclusivo(() => processar(e)).catch((err: Error) => {
      estado.fatal ??= err;
    });
  }
  return estado.fatal;
}

/**
 * Runs the detector: consumes the pedidos and auditoria_pedidos CDC topics in a consumer group,
 * judges every new order, publishes one alert per suspicious order to `fraude.alertas` (and
 * deteccao.alertas) and commits offsets only after that. Stops cleanly at duracaoMs or when
 * `ate()` is true; rejects with an ErroDeUso when Kafka, the CDC topics or PostgreSQL are missing.
 */
export async function executarDetector(opts: OpcoesDetector = {}): Promise<ResumoDetector> {
  const grupo = validarOpcoes(opts);
  const gravarTabela = opts.gravarTabela ?? true;
  const inicio = new Date();
  const entrada = topicosDeEntrada();
  const kafka = clienteKafka(`liga-sudoers-detector`);
  const admin = await conectar(kafka.admin());
  let db: pg.Client | undefined;
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;
  try {
    const grupoNovo = await prepararTopicosEGrupo(admin, grupo, entrada.topicos);
    const oltp = await connect("oltp");
    db = oltp;
    if (gravarTabela) await garantirTabelasDeteccao(oltp);
    const inicial = await carregarEstadoInicial(oltp);
    const motor = new MotorDeDeteccao(inicial.estado, inicial.snapshot, opts.maxPendentes ?? MAX_PENDENTES_PADRAO);

    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await producer.connect();
    consumer = kafka.consumer({
      groupId: grupo,
      maxWaitTimeInMs: 200,
      sessionTimeout: SESSAO_MS,
      heartbeatInterval: 1000,
      allowAutoTopicCreation: false,
    });
    await consumer.connect();
    const e: Execucao = { opts, gravarTabela, inicio, motor, db: oltp, producer, consumer, prog: progressoInicial() };
    const fatal = await consumir(e, entrada, () =>
      opts.aoIniciar?.({ grupo, topicos: entrada.topicos, grupoNovo, pessoas: inicial.estado.tamanho, pedidos: inicial.pedidos }),
    );
    await consumer.disconnect();
    consumer = undefined;
    if (fatal)
      throw new Error(`O detector parou por um erro (nada depois do último commit se perde: ele recomeça dali): ${fatal.message}`, {
        cause: fatal,
      });

    const fim = new Date();
    const { prog } = e;
    prog.segundos = (fim.getTime() - inicio.getTime()) / 1000;
    const faixa = prog.primeiroPedido === null || prog.ultimoPedido === null ? null : { de: prog.primeiroPedido, ate: prog.ultimoPedido };
    if (gravarTabela)
      await registrarExecucao(oltp, { grupo, inicio, fim, faixa, pedidosJulgados: prog.pedidosJulgados, alertas: prog.alertas });
    return { ...prog, grupo, inicio, fim, faixa };
  } finally {
    await consumer?.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await db?.end().catch(() => undefined);
  }
}
