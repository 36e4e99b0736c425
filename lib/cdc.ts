// Change data capture of the OLTP with Debezium: prepares PostgreSQL (publication, replication
// user, replica identity), registers the connector through Kafka Connect's REST API, and reads
// the change events back from Kafka with kafkajs — everything notebook 04 and the real-time
// fraud detector need.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Kafka, logLevel, type Consumer, type KafkaMessage, type LogEntry } from "kafkajs";
import { config } from "./config";
import { applySqlDir, withClient } from "./db";

/** Name of the kit's connector in Kafka Connect (also "name" in debezium-init/conector-oltp.json). */
export const CONECTOR: string = "liga-sudoers-oltp";

/** The six OLTP tables the connector captures (the publication and table.include.list hold exactly these). */
export const TABELAS_CAPTURADAS = ["pessoas", "categorias", "produtos", "pedidos", "itens_pedidos", "auditoria_pedidos"] as const;

/** Kafka topic of a captured table: `<CDC_TOPIC_PREFIX>.public.<tabela>`. */
export function topicoDaTabela(tabela: string): string {
  return `${config().connect.topicPrefix}.public.${tabela}`;
}

/** Topic of the BEGIN/END transaction markers (provide.transaction.metadata=true). */
export function topicoDeTransacoes(): string {
  return `${config().connect.topicPrefix}.transaction`;
}

// ---------------------------------------------------------------------------------------------
// Configuration: debezium-init/ and the CDC credentials of .env

export interface DefinicaoConector {
  name: string;
  config: Record<string, string>;
}

const pastaInit = () => join(config().root, "debezium-init");

/** The connector as versioned in debezium-init/conector-oltp.json (placeholders ${env:…} unresolved). */
export function definicaoConector(): DefinicaoConector {
  const arquivo = join(pastaInit(), "conector-oltp.json");
  const def = JSON.parse(readFileSync(arquivo, "utf8")) as DefinicaoConector;
  if (def.name !== CONECTOR) throw new Error(`${arquivo}: "name" deveria ser ${CONECTOR}, não ${def.name}.`);
  return def;
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL side

/**
 * Applies debezium-init/*.sql on the OLTP as the owner of the tables: the replication user
 * (credentials from CDC_USER / CDC_PASSWORD, passed as session settings, never written in SQL),
 * replica identity per table and the publication named in the connector JSON. Idempotent.
 */
export async function prepararCaptura(): Promise<void> {
  const { user: usuario, password: senha } = config().cdc;
  const publicacao = definicaoConector().config["publication.name"];
  await withClient("oltp", async (client) => {
    await applySqlDir(client, pastaInit(), { cdc_user: usuario, cdc_password: senha, publicacao });
  });
}

export interface EstadoCaptura {
  publicacao: string;
  tabelas: { tabela: string; replicaIdentity: "FULL" | "DEFAULT" | "NOTHING" | "INDEX"; publicada: boolean }[];
  usuario: { nome: string; login: boolean; replicacao: boolean; superusuario: boolean; privilegios: string[] };
  slot: { nome: string; ativo: boolean; lsnConfirmado: string | null; walRetido: string | null } | null;
}

/** What PostgreSQL has for the capture: tables with replica identity, the user's grants, the slot. */
export async function estadoCaptura(): Promise<EstadoCaptura> {
  const { user: usuario } = config().cdc;
  const cfg = definicaoConector().config;
  const publicacao = cfg["publication.name"];
  const slot = cfg["slot.name"];
  return withClient("oltp", async (client) => {
    const tabelas = await client.query<{ tabela: string; ident: string; publicada: boolean }>(
      `SELECT c.relname AS tabela, c.relreplident AS ident,
              EXISTS (SELECT 1 FROM pg_publication_tables p
                       WHERE p.pubname = $1 AND p.schemaname = 'public' AND p.tablename = c.relname) AS publicada
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relname = ANY($2) ORDER BY array_position($2, c.relname::text)`,
      [publicacao, [...TABELAS_CAPTURADAS]],
    );
    const papel = await client.query<{ login: boolean; repl: boolean; su: boolean }>(
      "SELECT rolcanlogin AS login, rolreplication AS repl, rolsuper AS su FROM pg_roles WHERE rolname = $1",
      [usuario],
    );
    const grants = await client.query<{ g: string }>(
      `SELECT table_schema || '.' || table_name || ': ' || string_agg(privilege_type, ', ' ORDER BY privilege_type) AS g
         FROM information_schema.role_table_grants WHERE grantee = $1
        GROUP BY table_schema, table_name ORDER BY 1`,
      [usuario],
    );
    const slots = await client.query<{ active: boolean; lsn: string | null; retido: string | null }>(
      `SELECT active, confirmed_flush_lsn::text AS lsn,
              pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)) AS retido
         FROM pg_replication_slots WHERE slot_name = $1`,
      [slot],
    );
    const nomes: Record<string, EstadoCaptura["tabelas"][number]["replicaIdentity"]> = { f: "FULL", d: "DEFAULT", n: "NOTHING", i: "INDEX" };
    const p = papel.rows[0];
    const s = slots.rows[0];
    return {
      publicacao,
      tabelas: tabelas.rows.map((r) => ({ tabela: r.tabela, replicaIdentity: nomes[r.ident], publicada: r.publicada })),
      usuario: {
        nome: usuario,
        login: p?.login ?? false,
        replicacao: p?.repl ?? false,
        superusuario: p?.su ?? false,
        privilegios: grants.rows.map((r) => r.g),
      },
      slot: s ? { nome: slot, ativo: s.active, lsnConfirmado: s.lsn, walRetido: s.retido } : null,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Kafka Connect REST API

export interface StatusConector {
  nome: string;
  /** RUNNING, FAILED, PAUSED, STOPPED, UNASSIGNED or RESTARTING. */
  estado: string;
  worker: string;
  trace?: string;
  tarefas: { id: number; estado: string; worker: string; trace?: string }[];
}

interface RespostaRest {
  status: number;
  corpo: unknown;
}

const REST_TIMEOUT_MS = 20_000;

async function rest(method: string, caminho: string, corpo?: unknown, timeoutMs = REST_TIMEOUT_MS): Promise<RespostaRest> {
  const url = `${config().connect.url}${caminho}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: corpo === undefined ? undefined : JSON.stringify(corpo),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const e = err as Error;
    const motivo = e.name === "TimeoutError" ? `sem resposta em ${Math.round(timeoutMs / 1000)} s` : (e.cause as Error | undefined)?.message ?? e.message;
    throw new Error(
      `Kafka Connect não respondeu em ${url} (${motivo}). A stack está no ar? Rode \`npm run stack -- status\` ` +
        "(ou `docker compose ps`).",
      { cause: err },
    );
  }
  const texto = await res.text();
  let json: unknown = null;
  try {
    json = texto ? JSON.parse(texto) : null;
  } catch {
    json = texto;
  }
  return { status: res.status, corpo: json };
}

function mensagemRest(r: RespostaRest): string {
  const corpo = r.corpo as { message?: string } | string | null;
  return typeof corpo === "object" && corpo?.message ? corpo.message : String(corpo ?? "");
}

const pausa = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Connector and task states, as GET /connectors/{nome}/status answers. */
export async function statusConector(nome: string = CONECTOR): Promise<StatusConector> {
  const r = await rest("GET", `/connectors/${encodeURIComponent(nome)}/status`);
  if (r.status === 404) throw new Error(`O conector ${nome} não está registrado no Kafka Connect: rode registrarConector().`);
  if (r.status !== 200) throw new Error(`Kafka Connect respondeu HTTP ${r.status} ao status de ${nome}: ${mensagemRest(r)}`);
  const s = r.corpo as {
    name: string;
    connector: { state: string; worker_id: string; trace?: string };
    tasks: { id: number; state: string; worker_id: string; trace?: string }[];
  };
  return {
    nome: s.name,
    estado: s.connector.state,
    worker: s.connector.worker_id,
    trace: s.connector.trace,
    tarefas: s.tasks.map((t) => ({ id: t.id, estado: t.state, worker: t.worker_id, trace: t.trace })),
  };
}

/** The lines of a Java stack trace worth reading: the top error and each "Caused by", without frames. */
export function resumoDoTrace(trace: string, max = 4): string {
  const linhas = trace
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("at ") && !/^\.\.\. \d+ more$/.test(l) && !l.startsWith("Suppressed:"));
  // Keep the top line and the deepest causes: the root cause is what the student can fix.
  const escolhidas = linhas.length <= max ? linhas : [linhas[0], ...linhas.slice(-(max - 1))];
  return [...new Set(escolhidas)].map((l) => (l.length > 400 ? `${l.slice(0, 400)}…` : l)).join("\n  ");
}

/** A hint in Portuguese for the failures a student is likely to meet. */
function dica(texto: string): string {
  const { user: usuario } = config().cdc;
  if (/\$\{env:[A-Z_]+\}/.test(texto)) {
    return "O worker do Kafka Connect não tem alguma variável usada em ${env:…}: reinicie o Connect para ele ler o .env " +
      "(`npm run stack -- down` e `up`, ou `docker compose up -d connect`).";
  }
  if (/password authentication failed|authentication failed/i.test(texto)) {
    return `O PostgreSQL recusou a senha: confira CDC_USER/CDC_PASSWORD (usuário ${usuario}) no .env, rode prepararCaptura() ` +
      "e reinicie o Connect se você mudou a variável.";
  }
  if (/role .* does not exist/i.test(texto)) return "O usuário de replicação não existe: rode prepararCaptura().";
  if (/publication .*(does not exist|autocreation is disabled)|autocreation is disabled/i.test(texto)) {
    return "A publicação não existe no PostgreSQL (publication.autocreate.mode=disabled): rode prepararCaptura() e depois reiniciarConector().";
  }
  if (/replication slot .* is active|slot .* already exists|distinct replication slot/i.test(texto)) {
    return "O slot de replicação está em uso por outro conector: cada conector precisa do seu slot.name.";
  }
  if (/must be superuser or replication role|permission denied/i.test(texto)) {
    return "Falta privilégio ao usuário de replicação: rode prepararCaptura() (REPLICATION + SELECT nas seis tabelas).";
  }
  if (/Connection refused|UnknownHost|Connection to .* refused/i.test(texto)) {
    return "O Connect não alcança o PostgreSQL: confira OLTP_HOST/OLTP_PORT e se o banco está no ar.";
  }
  return "Veja o log completo com `npm run stack -- logs connect` (ou `docker compose logs connect`).";
}

function falhas(s: StatusConector): string[] {
  const out: string[] = [];
  if (s.estado === "FAILED") out.push(`conector: ${resumoDoTrace(s.trace ?? "(sem trace)")}`);
  for (const t of s.tarefas) if (t.estado === "FAILED") out.push(`tarefa ${t.id}: ${resumoDoTrace(t.trace ?? "(sem trace)")}`);
  return out;
}

const rodando = (s: StatusConector) => s.estado === "RUNNING" && s.tarefas.length > 0 && s.tarefas.every((t) => t.estado === "RUNNING");

/**
 * Waits until the connector and all its tasks are RUNNING (seen twice in a row, half a second
 * apart, so a task failing right after starting is not missed). A FAILED connector or task
 * rejects at once with the trace's first meaningful lines and a hint; so does the timeout.
 */
export async function esperarRodando(nome: string = CONECTOR, timeoutMs = 60_000): Promise<StatusConector> {
  const limite = Date.now() + timeoutMs;
  let ultimo: StatusConector | undefined;
  let vistoRodando = false;
  for (;;) {
    try {
      ultimo = await statusConector(nome);
    } catch (err) {
      // Right after a PUT the status may not exist yet; anything else is a real error.
      if (!/não está registrado/.test((err as Error).message)) throw err;
      ultimo = undefined;
    }
    if (ultimo) {
      const f = falhas(ultimo);
      if (f.length) {
        throw new Error(`O conector ${nome} falhou.\n- ${f.join("\n- ")}\n${dica(f.join("\n"))}`);
      }
      if (rodando(ultimo)) {
        if (vistoRodando) return ultimo;
        vistoRodando = true;
      } else {
        vistoRodando = false;
      }
    }
    if (Date.now() >= limite) {
      const estado = ultimo
        ? `conector ${ultimo.estado}, tarefas [${ultimo.tarefas.map((t) => `${t.id}: ${t.estado}`).join(", ") || "nenhuma"}]`
        : "ainda sem status";
      throw new Error(
        `O conector ${nome} não ficou RUNNING em ${Math.round(timeoutMs / 1000)} s (${estado}). ` +
          "Veja `npm run stack -- logs connect` (ou `docker compose logs connect`).",
      );
    }
    await pausa(500);
  }
}

const semNome = (c: Record<string, string>) => Object.fromEntries(Object.entries(c).filter(([k]) => k !== "name"));

function iguais(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && String(a[k]) === String(b[k]));
}

export interface OpcoesRegistro {
  /** Bound for the whole call (PUT + waiting for RUNNING); default 90 s. */
  timeoutMs?: number;
  /** Another connector name (tests, experiments); default CONECTOR. */
  nome?: string;
  /** Keys replacing those of debezium-init/conector-oltp.json (e.g. another slot.name). */
  sobrescrever?: Record<string, string>;
}

/**
 * Creates or updates the connector with PUT /connectors/{nome}/config, comparing first with the
 * stored config: an equal config is left alone ("inalterado"), so rerunning never restarts it.
 * Then waits for RUNNING; a config Connect rejects, or a failing task, becomes a pt-BR Error.
 */
/**
 * Debezium creates a table's topic with its first event, so an empty table would have none and
 * consumers (the detector, notebook 04) could not subscribe yet: create them up front, with the
 * partitions the connector would use. Existing topics are left as they are.
 */
async function criarTopicosDasTabelas(particoes: number): Promise<void> {
  const admin = clienteKafka("liga-sudoers-cdc-topicos").admin();
  await admin.connect();
  try {
    const existentes = new Set(await admin.listTopics());
    const faltam = TABELAS_CAPTURADAS.map(topicoDaTabela).filter((t) => !existentes.has(t));
    if (faltam.length) {
      await admin.createTopics({ topics: faltam.map((topic) => ({ topic, numPartitions: particoes, replicationFactor: 1 })), waitForLeaders: true });
    }
  } finally {
    await admin.disconnect();
  }
}

export async function registrarConector(
  opts: OpcoesRegistro = {},
): Promise<{ acao: "criado" | "atualizado" | "inalterado"; status: StatusConector }> {
  const inicio = Date.now();
  const timeoutMs = opts.timeoutMs ?? 90_000;
  const nome = opts.nome ?? CONECTOR;
  const desejada = { ...definicaoConector().config, ...(opts.sobrescrever ?? {}) };
  if (nome === CONECTOR) await criarTopicosDasTabelas(Number(desejada["topic.creation.default.partitions"] ?? 1));
  const caminho = `/connectors/${encodeURIComponent(nome)}/config`;
  const atual = await rest("GET", caminho);
  let acao: "criado" | "atualizado" | "inalterado";
  if (atual.status === 200 && iguais(semNome(atual.corpo as Record<string, string>), desejada)) {
    acao = "inalterado";
  } else if (atual.status === 200 || atual.status === 404) {
    acao = atual.status === 404 ? "criado" : "atualizado";
    // Connect validates the config on PUT (Debezium even opens a test connection): 400 names the problem.
    // 409 means a rebalance is under way: try again shortly.
    for (;;) {
      const restante = timeoutMs - (Date.now() - inicio);
      if (restante <= 0) throw new Error(`Kafka Connect não aceitou a configuração de ${nome} em ${Math.round(timeoutMs / 1000)} s (rebalanceamento em andamento).`);
      const r = await rest("PUT", caminho, desejada, Math.min(restante, 75_000));
      if (r.status === 200 || r.status === 201) break;
      if (r.status === 409) {
        await pausa(1000);
        continue;
      }
      // Connect 4.1 answers an invalid Debezium 3.6 config with an internal NullPointerException
      // (HTTP 500) instead of the list of errors: ask the validate endpoint for the real ones.
      const erros = await errosDeValidacao(nome, desejada).catch(() => []);
      const msg = (erros.length ? erros : mensagemRest(r).split("\n"))
        .filter((l) => l.trim() && !/You can also find the above list of errors/.test(l))
        .join("\n  ");
      throw new Error(`Kafka Connect recusou a configuração de ${nome} (HTTP ${r.status}):\n  ${msg}\n${dica(msg)}`);
    }
    // An update restarts the connector: give the old RUNNING status time to go away.
    if (acao === "atualizado") await pausa(1500);
  } else {
    throw new Error(`Kafka Connect respondeu HTTP ${atual.status} ao ler a configuração de ${nome}: ${mensagemRest(atual)}`);
  }
  const status = await esperarRodando(nome, Math.max(1000, timeoutMs - (Date.now() - inicio)));
  return { acao, status };
}

/** The errors PUT /connector-plugins/{class}/config/validate finds in a config ("campo: erro"). */
export async function errosDeValidacao(nome: string, configuracao: Record<string, string>): Promise<string[]> {
  const classe = configuracao["connector.class"];
  const r = await rest("PUT", `/connector-plugins/${encodeURIComponent(classe)}/config/validate`, { ...configuracao, name: nome }, 60_000);
  if (r.status !== 200) throw new Error(`Kafka Connect respondeu HTTP ${r.status} ao validar ${nome}: ${mensagemRest(r)}`);
  const corpo = r.corpo as { configs?: { value?: { name: string; errors?: string[] } | null }[] };
  return (corpo.configs ?? []).flatMap((c) => (c.value?.errors ?? []).map((e) => `${c.value!.name}: ${e}`));
}

/** Restarts the connector and all its tasks (e.g. after fixing what made a task fail). */
export async function reiniciarConector(nome: string = CONECTOR): Promise<void> {
  const r = await rest("POST", `/connectors/${encodeURIComponent(nome)}/restart?includeTasks=true&onlyFailed=false`);
  if (r.status === 404) throw new Error(`O conector ${nome} não está registrado no Kafka Connect: rode registrarConector().`);
  if (r.status >= 300) throw new Error(`Kafka Connect respondeu HTTP ${r.status} ao reiniciar ${nome}: ${mensagemRest(r)}`);
}

/**
 * Deletes the connector; false when it did not exist. With descartarSlot, also drops its
 * replication slot once Connect has let go of it — a slot nobody reads keeps WAL on disk forever.
 */
export async function removerConector(nome: string = CONECTOR, opts: { descartarSlot?: boolean; timeoutMs?: number } = {}): Promise<boolean> {
  const caminho = `/connectors/${encodeURIComponent(nome)}`;
  const cfg = await rest("GET", `${caminho}/config`);
  const slot = cfg.status === 200 ? (cfg.corpo as Record<string, string>)["slot.name"] : undefined;
  const r = await rest("DELETE", caminho);
  if (r.status !== 204 && r.status !== 200 && r.status !== 404) {
    throw new Error(`Kafka Connect respondeu HTTP ${r.status} ao remover ${nome}: ${mensagemRest(r)}`);
  }
  if (opts.descartarSlot && slot) await descartarSlot(slot, opts.timeoutMs ?? 30_000);
  return r.status !== 404;
}

/** Drops a replication slot, waiting (bounded) for its reader to disconnect; false if it did not exist. */
export async function descartarSlot(slot: string, timeoutMs = 30_000): Promise<boolean> {
  const limite = Date.now() + timeoutMs;
  return withClient("oltp", async (client) => {
    for (;;) {
      const { rows } = await client.query<{ active: boolean }>("SELECT active FROM pg_replication_slots WHERE slot_name = $1", [slot]);
      if (rows.length === 0) return false;
      if (!rows[0].active) {
        await client.query("SELECT pg_drop_replication_slot($1)", [slot]);
        return true;
      }
      if (Date.now() >= limite) throw new Error(`O slot ${slot} continua em uso após ${Math.round(timeoutMs / 1000)} s: não o descartei.`);
      await pausa(500);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Change events

export type Operacao = "c" | "u" | "d" | "r" | "t";

export interface EventoCdc<T> {
  /** c = insert, u = update, d = delete, r = read (snapshot), t = truncate. */
  op: Operacao;
  before: T | null;
  after: T | null;
  source: {
    connector: string;
    db: string;
    schema: string;
    table: string;
    lsn?: number;
    txId?: number;
    ts_ms: number;
    snapshot?: string | boolean;
  };
  /** When Debezium processed the change (source.ts_ms is when it was committed). */
  ts_ms: number;
  /**
   * Position of the event in its transaction (provide.transaction.metadata=true). Debezium 3.6 on
   * PostgreSQL writes id as "<txId>:<lsn of the event>", so it differs between events of one
   * transaction: group by source.txId (the part before ":") instead.
   */
  transaction?: { id: string; total_order: number; data_collection_order: number } | null;
}

/** A BEGIN/END marker of the transaction topic. */
export interface EventoTransacao {
  status: "BEGIN" | "END";
  id: string;
  ts_ms: number;
  event_count: number | null;
  data_collections: { data_collection: string; event_count: number }[] | null;
}

interface SchemaConnect {
  type: string;
  name?: string;
  optional?: boolean;
  field?: string;
  fields?: SchemaConnect[];
  parameters?: Record<string, string>;
}

const DIA_MS = 86_400_000;

/** A Connect Decimal (base64 two's-complement big-endian unscaled value) as an exact decimal string. */
function decimalDeBytes(base64: string, escala: number): string {
  const bytes = Buffer.from(base64, "base64");
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  if (bytes.length > 0 && bytes[0] & 0x80) n -= 1n << BigInt(bytes.length * 8);
  const negativo = n < 0n;
  const digitos = (negativo ? -n : n).toString().padStart(escala + 1, "0");
  const texto = escala > 0 ? `${digitos.slice(0, -escala)}.${digitos.slice(-escala)}` : digitos;
  return negativo ? `-${texto}` : texto;
}

/** Applies what the schema says about a value: days since epoch → "YYYY-MM-DD", bytes decimals → strings. */
function converter(valor: unknown, schema: SchemaConnect | undefined): unknown {
  if (valor === null || valor === undefined || !schema) return valor;
  if (schema.type === "struct" && schema.fields && typeof valor === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(valor as Record<string, unknown>)) {
      out[k] = converter(v, schema.fields.find((f) => f.field === k));
    }
    return out;
  }
  if ((schema.name === "io.debezium.time.Date" || schema.name === "org.apache.kafka.connect.data.Date") && typeof valor === "number") {
    return new Date(valor * DIA_MS).toISOString().slice(0, 10);
  }
  if (schema.name === "org.apache.kafka.connect.data.Decimal" && typeof valor === "string") {
    return decimalDeBytes(valor, Number(schema.parameters?.scale ?? 0));
  }
  return valor;
}

function lerJson(valor: Buffer | string): unknown {
  const texto = typeof valor === "string" ? valor : valor.toString("utf8");
  try {
    return JSON.parse(texto);
  } catch {
    throw new Error(`Mensagem não é JSON (o conector usa o JsonConverter?): ${texto.slice(0, 120)}`);
  }
}

/** The payload of a JsonConverter message, with or without schemas, and its schema if any. */
function envelope(json: unknown): { payload: unknown; schema?: SchemaConnect } {
  if (json && typeof json === "object" && "payload" in json && "schema" in json) {
    const e = json as { payload: unknown; schema: SchemaConnect | null };
    return { payload: e.payload, schema: e.schema ?? undefined };
  }
  return { payload: json };
}

/**
 * A Debezium change event from a Kafka message value. Null for tombstones (the null value that
 * follows a delete so log compaction can forget the key). Accepts the JsonConverter with schemas
 * ({schema, payload}) or without (the bare payload); with a schema, io.debezium.time.Date fields
 * become "YYYY-MM-DD" and byte-encoded decimals exact strings. Without a schema, values stay as
 * sent (decimal.handling.mode=string already sends decimals as strings).
 */
export function decodificar<T = Record<string, unknown>>(valor: Buffer | string | null): EventoCdc<T> | null {
  if (valor === null || valor === undefined || valor.length === 0) return null;
  const { payload, schema } = envelope(lerJson(valor));
  if (payload === null) return null;
  if (typeof payload !== "object" || !("op" in payload)) {
    const dicaTx = typeof payload === "object" && payload !== null && "status" in payload ? " (marcador de transação: use decodificarTransacao)" : "";
    throw new Error(`Mensagem não é um evento de mudança do Debezium${dicaTx}: ${JSON.stringify(payload).slice(0, 120)}`);
  }
  return converter(payload, schema) as EventoCdc<T>;
}

/** A BEGIN/END marker of the transaction topic (null for an empty message). */
export function decodificarTransacao(valor: Buffer | string | null): EventoTransacao | null {
  if (valor === null || valor === undefined || valor.length === 0) return null;
  const { payload } = envelope(lerJson(valor));
  if (payload === null) return null;
  if (typeof payload !== "object" || !("status" in payload)) {
    throw new Error(`Mensagem não é um marcador de transação do Debezium: ${JSON.stringify(payload).slice(0, 120)}`);
  }
  return payload as EventoTransacao;
}

// ---------------------------------------------------------------------------------------------
// Reading the topics

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

/**
 * A kafkajs client on the kit's brokers. kafkajs logs to stderr by default, which the notebook
 * runner treats as a failure: here it is silent, or (logs: true) WARN and ERROR lines on stdout.
 */
export function clienteKafka(clientId: string, opts: { logs?: boolean } = {}): Kafka {
  const logCreator = opts.logs
    ? () =>
        ({ level, log }: LogEntry) => {
          if (level <= logLevel.WARN) console.log(`[kafkajs ${logLevel[level]}] ${log.message}`);
        }
    : undefined;
  return new Kafka({
    clientId,
    brokers: config().kafka.brokers,
    logLevel: opts.logs ? logLevel.WARN : logLevel.NOTHING,
    logCreator,
    connectionTimeout: 5000,
    retry: { retries: 5, initialRetryTime: 300 },
  });
}

function mensagem<T>(topico: string, particao: number, m: KafkaMessage): MensagemCdc<T> {
  let chave: unknown = null;
  if (m.key && m.key.length) {
    const texto = m.key.toString("utf8");
    try {
      chave = envelope(JSON.parse(texto)).payload;
    } catch {
      chave = texto;
    }
  }
  const base = { topico, particao, offset: m.offset, chave, timestamp: Number(m.timestamp) };
  if (topico === topicoDeTransacoes()) return { ...base, evento: null, transacao: decodificarTransacao(m.value) };
  return { ...base, evento: decodificar<T>(m.value) };
}

/** Per topic and partition, an offset (string, as kafkajs uses). */
export type Posicoes = Record<string, Record<number, string>>;

async function posicoes(topicos: string[], ponta: "low" | "high"): Promise<Posicoes> {
  const admin = clienteKafka("liga-sudoers-cdc-admin").admin();
  await admin.connect();
  try {
    const existentes = new Set(await admin.listTopics());
    const out: Posicoes = {};
    for (const topico of topicos) {
      if (!existentes.has(topico)) throw semTopico(topico);
      out[topico] = Object.fromEntries((await admin.fetchTopicOffsets(topico)).map((p) => [p.partition, p[ponta]]));
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

/** Which of `topicos` exist (the connector creates a table's topic with its snapshot). */
export async function topicosExistentes(topicos: string[]): Promise<Set<string>> {
  const admin = clienteKafka("liga-sudoers-cdc-admin").admin();
  await admin.connect();
  try {
    const existentes = new Set(await admin.listTopics());
    return new Set(topicos.filter((t) => existentes.has(t)));
  } finally {
    await admin.disconnect();
  }
}

/** The current end offset of every partition of `topicos`: read from here to see only new messages. */
export function posicoesFinais(topicos: string[]): Promise<Posicoes> {
  return posicoes(topicos, "high");
}

/** The first offset still stored of every partition of `topicos`: read from here to see everything. */
export function posicoesIniciais(topicos: string[]): Promise<Posicoes> {
  return posicoes(topicos, "low");
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
    const faltam = Object.entries(esperado).filter(([tabela, n]) => {
      const topico = topicoDaTabela(tabela);
      const publicadas = Object.entries(agora[topico]!).reduce((s, [p, o]) => s + Number(BigInt(o) - BigInt(desde[topico]?.[Number(p)] ?? "0")), 0);
      return publicadas < n;
    });
    if (faltam.length === 0) return;
    if (Date.now() > limite) {
      throw new Error(`O Debezium não publicou as mudanças em ${Math.round(timeoutMs / 1000)} s: faltam eventos de ${faltam.map(([t]) => t).join(", ")}.`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

function semTopico(topico: string): Error {
  return new Error(`O tópico ${topico} não existe no Kafka: o conector já foi registrado e fez o snapshot? (registrarConector()).`);
}

/**
 * Reads every message from `desde` (per topic and partition) up to the end offsets seen at the
 * call, each through `converter` (null: left out), plus — until `parar` says enough or timeoutMs
 * passes — whatever arrives meanwhile when `parar` is given. Bounded: returns what it has at the
 * timeout. Uses a throwaway consumer group that commits nothing (Kafka forgets it once it leaves).
 */
export async function lerFaixa<M>(
  desde: Posicoes,
  converter: (topico: string, particao: number, m: KafkaMessage) => M | null,
  opts: { timeoutMs?: number; parar?: (lidas: M[]) => boolean } = {},
): Promise<M[]> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const topicos = Object.keys(desde);
  const fins = await posicoesFinais(topicos);
  const pendentes = new Set<string>();
  for (const t of topicos) {
    for (const [p, fim] of Object.entries(fins[t])) {
      if (BigInt(fim) > BigInt(desde[t][Number(p)] ?? "0")) pendentes.add(`${t}/${p}`);
    }
  }
  const lidas: M[] = [];
  const bastou = () => (opts.parar ? opts.parar(lidas) : pendentes.size === 0);
  if (bastou() && !opts.parar) return lidas;
  const consumer = clienteKafka("liga-sudoers-cdc-leitor").consumer({
    groupId: `liga-sudoers-leitor-${randomUUID()}`,
    maxWaitTimeInMs: 250,
  });
  await consumer.connect();
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, timeoutMs);
      const fim = () => {
        clearTimeout(timer);
        resolve();
      };
      consumer.on(consumer.events.CRASH, (e) => {
        clearTimeout(timer);
        reject(e.payload.error);
      });
      (async () => {
        await consumer.subscribe({ topics: topicos, fromBeginning: false });
        await consumer.run({
          autoCommit: false,
          eachMessage: async ({ topic, partition, message }) => {
            const offset = BigInt(message.offset);
            const final = BigInt(fins[topic][partition] ?? "0");
            if (offset < BigInt(desde[topic]?.[partition] ?? "0") || (!opts.parar && offset >= final)) return;
            const convertida = converter(topic, partition, message);
            if (convertida !== null) lidas.push(convertida);
            if (offset + 1n >= final) pendentes.delete(`${topic}/${partition}`);
            if (bastou()) fim();
          },
        });
        for (const t of topicos) {
          for (const p of Object.keys(fins[t])) {
            consumer.seek({ topic: t, partition: Number(p), offset: desde[t][Number(p)] ?? "0" });
          }
        }
      })().catch((e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return lidas;
}

/** lerFaixa of change events, decoded, in write order (timestamp, partition, offset). */
export async function lerDesde<T = Record<string, unknown>>(
  desde: Posicoes,
  opts: { timeoutMs?: number; parar?: (lidas: MensagemCdc<T>[]) => boolean } = {},
): Promise<MensagemCdc<T>[]> {
  const lidas = await lerFaixa(desde, (t, p, m) => mensagem<T>(t, p, m), opts);
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
  if (!Number.isInteger(n) || n < 1) throw new Error(`n inválido: ${n}. Esperado um inteiro ≥ 1.`);
  const admin = clienteKafka("liga-sudoers-cdc-admin").admin();
  await admin.connect();
  let desde: Posicoes;
  try {
    if (!(await admin.listTopics()).includes(topico)) throw semTopico(topico);
    const offsets = await admin.fetchTopicOffsets(topico);
    desde = {
      [topico]: Object.fromEntries(offsets.map((p) => [p.partition, String(BigInt(p.low) > BigInt(p.high) - BigInt(n) ? BigInt(p.low) : BigInt(p.high) - BigInt(n))])),
    };
  } finally {
    await admin.disconnect();
  }
  const lidas = await lerDesde<T>(desde, { timeoutMs: opts.timeoutMs });
  return lidas.slice(-n);
}

/** Topics of the capture (prefix CDC_TOPIC_PREFIX) with partitions and messages (end − start offsets). */
export async function listarTopicos(): Promise<{ topico: string; particoes: number; mensagens: number }[]> {
  const prefixo = `${config().connect.topicPrefix}.`;
  const admin = clienteKafka("liga-sudoers-cdc-admin").admin();
  await admin.connect();
  try {
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
  } finally {
    await admin.disconnect();
  }
}

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
export async function snapshotConcluido(nome: string = CONECTOR): Promise<boolean> {
  const r = await rest("GET", `/connectors/${encodeURIComponent(nome)}/offsets`);
  if (r.status !== 200) return false;
  const offset = (r.corpo as { offsets?: { offset?: Record<string, unknown> }[] }).offsets?.[0]?.offset;
  return offset !== undefined && (offset.snapshot_completed === true || !("snapshot" in offset));
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
    const topicos = new Map((await listarTopicos()).map((t) => [t.topico, t.mensagens]));
    const linhas = await withClient("oltp", async (client) => {
      const out: Record<string, number> = {};
      for (const t of TABELAS_CAPTURADAS) out[t] = Number((await client.query(`SELECT count(*) AS n FROM public.${t}`)).rows[0].n);
      return out;
    });
    const tabelas = TABELAS_CAPTURADAS.map((tabela) => ({
      tabela,
      topico: topicoDaTabela(tabela),
      linhas: linhas[tabela],
      mensagens: topicos.get(topicoDaTabela(tabela)) ?? 0,
    }));
    // An empty table never gets a topic; a filled one is done when its topic caught up.
    if (tabelas.every((t) => t.mensagens >= t.linhas) || (await snapshotConcluido())) {
      return { segundos: (Date.now() - inicio) / 1000, tabelas };
    }
    if (Date.now() - inicio >= timeoutMs) {
      const faltam = tabelas.filter((t) => t.mensagens < t.linhas).map((t) => `${t.tabela} ${t.mensagens}/${t.linhas}`);
      throw new Error(
        `O snapshot não terminou em ${Math.round(timeoutMs / 1000)} s (mensagens/linhas: ${faltam.join(", ")}). ` +
          "Veja statusConector() e `npm run stack -- logs connect`.",
      );
    }
    await pausa(1000);
  }
}

// ---------------------------------------------------------------------------------------------
// Consumers

export interface OpcoesConsumidor {
  /** Consumer group: its committed offsets survive restarts (a long-running consumer needs a fixed name). */
  grupo: string;
  /** Where a group WITHOUT committed offsets starts: the beginning (true) or only new messages (false, default). */
  doInicio?: boolean;
  /** Start each listed partition exactly here instead (e.g. posicoesFinais() taken before making changes). */
  desde?: Posicoes;
  /** Called once the group has its partitions and start offsets: changes made from then on are seen. */
  aoIniciar?: () => void;
  /** kafkajs WARN/ERROR lines on stdout (default: silent). */
  logs?: boolean;
  /** Commit offsets automatically (default true). false: nothing is committed (throwaway readers). */
  commitAutomatico?: boolean;
}

export interface ConsumidorCdc {
  /** Already resolved when consumirEmGrupo returns (kept so callers can await it uniformly). */
  pronto: Promise<void>;
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
  const consumer: Consumer = clienteKafka(`liga-sudoers-${opts.grupo}`, { logs: opts.logs }).consumer({
    groupId: opts.grupo,
    maxWaitTimeInMs: 500,
  });
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
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: topicos, fromBeginning: opts.doInicio ?? false });
    // kafkajs resolves run() once the group has joined and synced; seeks then apply to the first fetch.
    await consumer.run({
      autoCommit: opts.commitAutomatico ?? true,
      eachMessage: async ({ topic, partition, message }) => {
        await aoReceber(mensagem<T>(topic, partition, message));
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
    pronto: Promise.resolve(),
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
  const consumidor = await consumirEmGrupo<T>(
    topicos,
    async (m) => {
      // Delivered even past the bound: its offset may be committed, so dropping it would lose it.
      await aoReceber(m);
      if (Date.now() >= limite || opts.ate?.()) acordar();
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
    if (Date.now() >= limite || opts.ate?.()) acordar();
  }, 200);
  try {
    await Promise.race([sinal, consumidor.terminado]);
  } finally {
    clearInterval(relogio);
    await consumidor.parar();
  }
}
