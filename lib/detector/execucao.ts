// Kafka consumer group + producer + PostgreSQL around the engine: npm run detector.
import { Partitioners, type Admin, type ConfigResourceTypes, type Consumer, type Producer } from "kafkajs";
import pg from "pg";
import { clienteKafka, topicoDaTabela } from "../cdc";
import { config } from "../config";
import { inTransaction } from "../db";
import { ErroDeUso, ErroServicoFora } from "../erros";
import type { Localizacao } from "../geo";
import { EstadoDispositivos, Snapshot, type HistoricoDoBanco } from "./estado";
import { MAX_PENDENTES_PADRAO, MotorDeDeteccao, type PedidoDoBanco, type TabelaDetector } from "./motor";
import type { Regra } from "./regras";

/** The alerts topic: key = id_pedido, compacted so a replay keeps one value per order. */
export const TOPICO_ALERTAS = "fraude.alertas";
/** The detector's consumer group: its committed offsets are where a restart resumes. */
export const GRUPO_PADRAO = "liga-sudoers-detector";

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

function topicosDeEntrada(): { topicos: string[]; tabelaDe: (topico: string) => TabelaDetector } {
  const pedidos = topicoDaTabela("pedidos");
  return { topicos: [pedidos, topicoDaTabela("auditoria_pedidos")], tabelaDe: (t) => (t === pedidos ? "pedidos" : "auditoria_pedidos") };
}

/** The schema of the detector's own tables (outside the store's model and the answer key). */
export async function garantirTabelasDeteccao(client: pg.ClientBase): Promise<void> {
  await inTransaction(client, async () => {
    // Serialises concurrent detectors creating the schema (CREATE … IF NOT EXISTS can still race).
    await client.query("SELECT pg_advisory_xact_lock(hashtext('liga_sudoers.deteccao'))");
    await client.query(`
      CREATE SCHEMA IF NOT EXISTS deteccao;
      CREATE TABLE IF NOT EXISTS deteccao.alertas (
        id_pedido    bigint      NOT NULL,
        id_pessoa    bigint      NOT NULL,
        regras       text[]      NOT NULL,
        dispositivo  text        NOT NULL,
        geohash      text        NOT NULL,
        uf           text        NOT NULL,
        dt_venda     timestamptz NOT NULL,
        commit_em    timestamptz NOT NULL,
        detectado_em timestamptz NOT NULL,
        CONSTRAINT alertas_pkey PRIMARY KEY (id_pedido),
        CONSTRAINT alertas_regras_check CHECK (cardinality(regras) > 0 AND regras <@ ARRAY['dispositivo', 'local'])
      );
      CREATE TABLE IF NOT EXISTS deteccao.execucoes (
        id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        grupo           text        NOT NULL,
        inicio          timestamptz NOT NULL,
        fim             timestamptz NOT NULL,
        primeiro_pedido bigint,
        ultimo_pedido   bigint,
        pedidos_julgados integer    NOT NULL,
        alertas         integer     NOT NULL
      );
      COMMENT ON TABLE deteccao.alertas IS
        'Alertas do detector em tempo real (um por pedido suspeito; regravar o mesmo pedido não faz nada).';
      COMMENT ON TABLE deteccao.execucoes IS 'Cada execução do detector: quando e que faixa de pedidos julgou.';`);
  });
}

async function gravarAlertas(client: pg.ClientBase, alertas: readonly Alerta[]): Promise<void> {
  if (alertas.length === 0) return;
  await client.query(
    `INSERT INTO deteccao.alertas (id_pedido, id_pessoa, regras, dispositivo, geohash, uf, dt_venda, commit_em, detectado_em)
     SELECT a.id_pedido, a.id_pessoa, string_to_array(a.regras, ','), a.dispositivo, a.geohash, a.uf, a.dt_venda,
            to_timestamp(a.commit_ms / 1000.0), a.detectado_em
       FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::float8[], $9::timestamptz[])
            AS a(id_pedido, id_pessoa, regras, dispositivo, geohash, uf, dt_venda, commit_ms, detectado_em)
     ON CONFLICT (id_pedido) DO NOTHING`,
    [
      alertas.map((a) => a.id_pedido),
      alertas.map((a) => a.id_pessoa),
      alertas.map((a) => a.regras.join(",")),
      alertas.map((a) => a.dispositivo),
      alertas.map((a) => a.geohash),
      alertas.map((a) => a.uf),
      alertas.map((a) => a.dt_venda),
      alertas.map((a) => a.commit_ts_ms),
      alertas.map((a) => a.detectado_em),
    ],
  );
}

/** Orders by id with both halves, as the engine needs them. */
async function buscarPedidos(client: pg.ClientBase, ids: readonly number[]): Promise<PedidoDoBanco[]> {
  const { rows } = await client.query<PedidoDoBanco>(
    `SELECT p.id, p.id_pessoa, floor(extract(epoch FROM p.dt_venda) * 1000000)::float8 AS dt_us,
            to_char(p.dt_venda AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS dt_iso, a.dispositivo, a.geohash
       FROM public.pedidos p JOIN public.auditoria_pedidos a ON a.id_pedido = p.id
      WHERE p.id = ANY($1::bigint[])`,
    [ids],
  );
  return rows.map((r) => ({ ...r, id: Number(r.id), id_pessoa: Number(r.id_pessoa) }));
}

const SQL_HISTORICO = `
  SELECT p.id_pessoa::text AS id_pessoa, a.dispositivo,
         floor(extract(epoch FROM min(p.dt_venda)) * 1000000)::float8 AS desde, count(*)::int AS pedidos
    FROM public.pedidos p LEFT JOIN public.auditoria_pedidos a ON a.id_pedido = p.id`;

/** The history of some people as the database has it now (every transaction committed so far). */
export async function historicoDoBanco(client: pg.ClientBase, pessoas: readonly number[]): Promise<HistoricoDoBanco[]> {
  const { rows } = await client.query<{ id_pessoa: string; dispositivo: string | null; desde: number }>(
    `${SQL_HISTORICO} WHERE p.id_pessoa = ANY($1::bigint[]) GROUP BY 1, 2`,
    [pessoas],
  );
  return rows.map((r) => ({ id_pessoa: Number(r.id_pessoa), dispositivo: r.dispositivo, desde: r.desde }));
}

/**
 * The device state of every person over every order in the database, and the snapshot it was
 * read at (one REPEATABLE READ transaction, so both agree).
 */
export async function carregarEstadoInicial(client: pg.ClientBase): Promise<{ estado: EstadoDispositivos; snapshot: Snapshot; pedidos: number }> {
  await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  try {
    const snap = await client.query<{ s: string }>("SELECT pg_current_snapshot()::text AS s");
    const { rows } = await client.query<{ id_pessoa: string; dispositivo: string | null; desde: number; pedidos: number }>(`${SQL_HISTORICO} GROUP BY 1, 2`);
    await client.query("COMMIT");
    const estado = new EstadoDispositivos();
    estado.aplicar(rows.map((r) => ({ id_pessoa: Number(r.id_pessoa), dispositivo: r.dispositivo, desde: r.desde })));
    const pedidos = rows.reduce((n, r) => n + r.pedidos, 0);
    return { estado, snapshot: Snapshot.ler(snap.rows[0].s), pedidos };
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
}

/** Creates the alerts topic (compacted, one partition) or makes sure an existing one is compacted. */
export async function garantirTopicoDeAlertas(admin: Admin): Promise<void> {
  const existentes = await admin.listTopics();
  if (!existentes.includes(TOPICO_ALERTAS)) {
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic: TOPICO_ALERTAS, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: "cleanup.policy", value: "compact" }] }],
      });
      return;
    } catch (err) {
      // Another detector created it meanwhile: fall through to the check.
      if (!/already exists/i.test((err as Error).message)) throw err;
    }
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

const pausa = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Session timeout of the detector's consumer: a killed detector leaves the group after this long. */
const SESSAO_MS = 10_000;

/**
 * One detector per group: the two halves of an order travel in different topics whose keys
 * ({"id":…} and {"id_pedido":…}) hash to different partitions, so two members of a group would
 * each get halves the other needs. A member left behind by a killed detector expires after the
 * session timeout: wait that long before refusing.
 */
async function exigirGrupoVazio(admin: Admin, grupo: string): Promise<void> {
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

/**
 * Runs the detector: consumes the pedidos and auditoria_pedidos CDC topics in a consumer group,
 * judges every new order, publishes one alert per suspicious order to `fraude.alertas` (and
 * deteccao.alertas) and commits offsets only after that. Stops cleanly at duracaoMs or when
 * `ate()` is true; rejects with an ErroDeUso when Kafka, the CDC topics or PostgreSQL are missing.
 */
export async function executarDetector(opts: OpcoesDetector = {}): Promise<ResumoDetector> {
  if (opts.duracaoMs !== undefined && !(Number.isInteger(opts.duracaoMs) && opts.duracaoMs > 0)) {
    throw new ErroDeUso(`Duração inválida: ${opts.duracaoMs}. Esperado um número inteiro de milissegundos maior que zero.`);
  }
  if (opts.maxPendentes !== undefined && !(Number.isInteger(opts.maxPendentes) && opts.maxPendentes > 0)) {
    throw new ErroDeUso(`Limite do buffer inválido: ${opts.maxPendentes}. Esperado um inteiro maior que zero.`);
  }
  if (opts.atrasoCommitMs !== undefined && !(Number.isInteger(opts.atrasoCommitMs) && opts.atrasoCommitMs >= 0 && opts.atrasoCommitMs <= 60_000)) {
    throw new ErroDeUso(`Atraso do commit inválido: ${opts.atrasoCommitMs}. Esperado um inteiro de 0 a 60000 ms.`);
  }
  const grupo = opts.grupo ?? GRUPO_PADRAO;
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(grupo)) {
    throw new ErroDeUso(`Grupo inválido: "${grupo}". Use letras, dígitos, ponto, hífen ou sublinhado.`);
  }
  const gravarTabela = opts.gravarTabela ?? true;
  const inicio = new Date();
  const { topicos, tabelaDe } = topicosDeEntrada();
  const kafka = clienteKafka(`liga-sudoers-detector`);
  const admin = kafka.admin();
  const { kafka: k, oltp } = config();
  try {
    await admin.connect();
  } catch (err) {
    throw new ErroServicoFora(
      "kafka",
      k.brokers.join(","),
      `Não consegui conectar ao Kafka em ${k.brokers.join(", ")}: ${(err as Error).message}. A stack está no ar? Rode \`npm run stack -- up\`.`,
      { cause: err },
    );
  }
  let client: pg.Client | undefined;
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;
  try {
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
    const grupoNovo = await posicionarGrupoNoFim(admin, grupo, topicos);

    client = new pg.Client({ ...oltp, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
    } catch (err) {
      throw new ErroServicoFora(
        "postgres-oltp",
        `postgresql://${oltp.host}:${oltp.port}/${oltp.database}`,
        `Não consegui conectar ao PostgreSQL OLTP em ${oltp.host}:${oltp.port}: ${(err as Error).message}.`,
        { cause: err },
      );
    }
    const db = client;
    if (gravarTabela) await garantirTabelasDeteccao(db);
    const inicial = await carregarEstadoInicial(db);
    const motor = new MotorDeDeteccao(inicial.estado, inicial.snapshot, opts.maxPendentes ?? MAX_PENDENTES_PADRAO);

    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await producer.connect();
    const prod = producer;
    consumer = kafka.consumer({ groupId: grupo, maxWaitTimeInMs: 200, sessionTimeout: SESSAO_MS, heartbeatInterval: 1000, allowAutoTopicCreation: false });
    await consumer.connect();
    const cons = consumer;

    const prog: ProgressoDetector = {
      eventos: 0, pedidosJulgados: 0, alertas: 0, porRegra: { dispositivo: 0, local: 0 }, pendentes: 0, menorPendente: null,
      completadosDoBanco: 0, descartados: 0,
      julgadosPorTempo: 0, primeiroPedido: null, ultimoPedido: null, ultimoAtrasoMs: null, segundos: 0,
    };
    let fatal: Error | undefined;
    // One processing step at a time: a batch from kafkajs and the safety-net timer share the engine.
    let fila: Promise<void> = Promise.resolve();
    const exclusivo = (fn: () => Promise<void>): Promise<void> => {
      const p = fila.then(fn);
      fila = p.catch(() => undefined);
      return p;
    };

    const processar = async (): Promise<void> => {
      const buscar = motor.incompletosParaBuscar();
      if (buscar.length) motor.completarDoBanco(buscar, await buscarPedidos(db, buscar));
      const agora = Date.now();
      // Kafka gives no order across partitions: an earlier transaction of the same person may
      // still be unread. It is committed, so the database has it.
      const pessoas = motor.pessoasAJulgar(agora);
      if (pessoas.length) motor.reforcarEstado(await historicoDoBanco(db, pessoas));
      const julgados = motor.colher(agora);
      const detectadoEm = new Date(agora).toISOString();
      const alertas: Alerta[] = [];
      for (const j of julgados) {
        prog.pedidosJulgados++;
        if (j.porTempo) prog.julgadosPorTempo++;
        prog.primeiroPedido = prog.primeiroPedido === null ? j.id_pedido : Math.min(prog.primeiroPedido, j.id_pedido);
        prog.ultimoPedido = prog.ultimoPedido === null ? j.id_pedido : Math.max(prog.ultimoPedido, j.id_pedido);
        if (j.regras.length === 0) continue;
        alertas.push({
          id_pedido: j.id_pedido, id_pessoa: j.id_pessoa, regras: j.regras, dispositivo: j.dispositivo, geohash: j.geohash,
          uf: j.uf, dt_venda: j.dt_venda_iso, commit_ts_ms: j.commit_ts_ms, detectado_em: detectadoEm,
        });
      }
      if (alertas.length) {
        // Both must succeed before the offsets are committed; neither depends on the other.
        await Promise.all([
          prod.send({
            topic: TOPICO_ALERTAS,
            acks: -1,
            messages: alertas.map((a) => ({ key: String(a.id_pedido), value: JSON.stringify(a) })),
          }),
          gravarTabela ? gravarAlertas(db, alertas) : undefined,
        ]);
        for (const a of alertas) {
          prog.alertas++;
          for (const r of a.regras) prog.porRegra[r]++;
          prog.ultimoAtrasoMs = agora - a.commit_ts_ms;
          opts.aoAlertar?.(a);
        }
      }
      if (alertas.length && opts.atrasoCommitMs) {
        opts.aoAtrasarCommit?.(alertas.length);
        await pausa(opts.atrasoCommitMs);
      }
      // Only now: everything before these offsets has its alert acknowledged.
      const offsets = motor.offsetsParaConfirmar();
      if (offsets.length) await cons.commitOffsets(offsets);
      prog.eventos = motor.contadores.eventos;
      prog.pendentes = motor.pendentesNoBuffer;
      prog.menorPendente = motor.menorPendente();
      prog.completadosDoBanco = motor.contadores.doBanco;
      prog.descartados = motor.contadores.descartados;
      prog.segundos = (Date.now() - inicio.getTime()) / 1000;
      if (julgados.length || offsets.length || buscar.length) opts.aoProgredir?.({ ...prog, porRegra: { ...prog.porRegra } });
    };

    await consumer.subscribe({ topics: topicos, fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        if (fatal) return;
        try {
          await exclusivo(async () => {
            const tabela = tabelaDe(batch.topic);
            const agora = Date.now();
            for (const m of batch.messages) {
              motor.receberBruto(tabela, m.value, { topico: batch.topic, particao: batch.partition, offset: Number(m.offset) }, agora);
              resolveOffset(m.offset);
            }
            await processar();
          });
          await heartbeat();
        } catch (err) {
          // Nothing of this batch was committed: stop and let a restart replay it.
          fatal ??= err as Error;
        }
      },
    });
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) fatal ??= e.payload.error;
    });
    opts.aoIniciar?.({ grupo, topicos, grupoNovo, pessoas: inicial.estado.tamanho, pedidos: inicial.pedidos });

    const limite = opts.duracaoMs === undefined ? Infinity : inicio.getTime() + opts.duracaoMs;
    let ultimoTique = Date.now();
    while (!fatal && Date.now() < limite && !(opts.ate?.() ?? false)) {
      await pausa(100);
      // The safety net also needs a turn when no message arrives.
      if (Date.now() - ultimoTique >= 500 && motor.pendentesNoBuffer > 0) {
        ultimoTique = Date.now();
        await exclusivo(processar).catch((err: Error) => void (fatal ??= err));
      }
    }
    if (!fatal) await exclusivo(processar).catch((err: Error) => void (fatal ??= err));
    await consumer.disconnect();
    consumer = undefined;
    if (fatal) throw new Error(`O detector parou por um erro (nada depois do último commit se perde: ele recomeça dali): ${fatal.message}`, { cause: fatal });

    const fim = new Date();
    prog.segundos = (fim.getTime() - inicio.getTime()) / 1000;
    const faixa = prog.primeiroPedido === null || prog.ultimoPedido === null ? null : { de: prog.primeiroPedido, ate: prog.ultimoPedido };
    if (gravarTabela) {
      await db.query(
        `INSERT INTO deteccao.execucoes (grupo, inicio, fim, primeiro_pedido, ultimo_pedido, pedidos_julgados, alertas)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [grupo, inicio, fim, faixa?.de ?? null, faixa?.ate ?? null, prog.pedidosJulgados, prog.alertas],
      );
    }
    return { ...prog, grupo, inicio, fim, faixa };
  } finally {
    await consumer?.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await client?.end().catch(() => undefined);
  }
}

