// Debezium's change events as the JsonConverter writes them, and the one place that unwraps
// them: with or without schemas ({schema, payload} or the bare payload), tombstones, keys,
// BEGIN/END transaction markers. lib/cdc's readers, raw (op and instant of each message) and
// trusted (the row image of each event) all decode through here, so a change of converter or
// envelope is handled once. Pure: no I/O, no configuration.
import { ErroLiga } from "../erros";

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

type Bruto = Buffer | string | null | undefined;

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
      out[k] = converter(
        v,
        schema.fields.find((f) => f.field === k),
      );
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

const vazio = (valor: Bruto): valor is null | undefined => valor === null || valor === undefined || valor.length === 0;

const comoTexto = (valor: Buffer | string): string => (typeof valor === "string" ? valor : valor.toString("utf8"));

/**
 * The payload of a parsed JsonConverter message and its schema if any. Both keys are required to
 * call it an envelope: a bare payload (schemas.enable=false) is a row or an event, and a row may
 * well have a column named "payload".
 */
function desembrulhar(json: unknown): { payload: unknown; schema?: SchemaConnect } {
  if (json !== null && typeof json === "object" && "payload" in json && "schema" in json) {
    const e = json as { payload: unknown; schema: SchemaConnect | null };
    return { payload: e.payload, schema: e.schema ?? undefined };
  }
  return { payload: json };
}

/** The unwrapped payload of a message value (null for a tombstone or an empty value); throws if not JSON. */
function payloadDe(valor: Bruto): { payload: unknown; schema?: SchemaConnect } | null {
  if (vazio(valor)) return null;
  const texto = comoTexto(valor);
  let json: unknown;
  try {
    json = JSON.parse(texto);
  } catch (err) {
    throw new ErroLiga(`Mensagem não é JSON (o conector usa o JsonConverter?): ${texto.slice(0, 120)}`, { cause: err });
  }
  const e = desembrulhar(json);
  return e.payload === null ? null : e;
}

const ehEvento = (p: unknown): p is Record<string, unknown> & { op: unknown } => typeof p === "object" && p !== null && "op" in p;

/**
 * A Debezium change event from a Kafka message value. Null for tombstones (the null value that
 * follows a delete so log compaction can forget the key). Accepts the JsonConverter with schemas
 * ({schema, payload}) or without (the bare payload); with a schema, io.debezium.time.Date fields
 * become "YYYY-MM-DD" and byte-encoded decimals exact strings. Without a schema, values stay as
 * sent (decimal.handling.mode=string already sends decimals as strings).
 */
export function decodificar<T = Record<string, unknown>>(valor: Bruto): EventoCdc<T> | null {
  const e = payloadDe(valor);
  if (!e) return null;
  if (!ehEvento(e.payload)) {
    const marcador = typeof e.payload === "object" && e.payload !== null && "status" in e.payload;
    const dicaTx = marcador ? " (marcador de transação: use decodificarTransacao)" : "";
    throw new ErroLiga(`Mensagem não é um evento de mudança do Debezium${dicaTx}: ${JSON.stringify(e.payload).slice(0, 120)}`);
  }
  return converter(e.payload, e.schema) as EventoCdc<T>;
}

/** A BEGIN/END marker of the transaction topic (null for an empty message). */
export function decodificarTransacao(valor: Bruto): EventoTransacao | null {
  const e = payloadDe(valor);
  if (!e) return null;
  if (typeof e.payload !== "object" || e.payload === null || !("status" in e.payload)) {
    throw new ErroLiga(`Mensagem não é um marcador de transação do Debezium: ${JSON.stringify(e.payload).slice(0, 120)}`);
  }
  return e.payload as EventoTransacao;
}

/**
 * A message key: the row's primary key unwrapped (e.g. { id: 123 }), null when there is none,
 * or the text itself when it is not JSON (a key is shown, never rejected).
 */
export function decodificarChave(chave: Bruto): unknown {
  if (vazio(chave)) return null;
  const texto = comoTexto(chave);
  try {
    return desembrulhar(JSON.parse(texto)).payload;
  } catch {
    return texto;
  }
}

/**
 * The operation and processing instant of a message value, without converting the rows: raw
 * stores millions of values verbatim and only indexes these two. Never throws — raw keeps what
 * arrived even when it is not an event (trusted quarantines it); such a value gives nulls.
 */
export function resumoDoEvento(valor: Bruto): { op: string | null; tsMs: number | null } {
  let e: ReturnType<typeof payloadDe>;
  try {
    e = payloadDe(valor);
  } catch {
    return { op: null, tsMs: null };
  }
  const p = e && typeof e.payload === "object" ? (e.payload as { op?: unknown; ts_ms?: unknown }) : null;
  return { op: typeof p?.op === "string" ? p.op : null, tsMs: typeof p?.ts_ms === "number" ? p.ts_ms : null };
}

/**
 * The row an event is about: the old image for a delete, the new one otherwise. Without that
 * image (a delete under REPLICA IDENTITY DEFAULT sends no before), the key's columns — what is
 * left to know which row it was. `chave` is the decoded key (decodificarChave).
 */
export function linhaDoEvento<T extends object = Record<string, unknown>>(evento: EventoCdc<T>, chave: unknown): T | null {
  const imagem = evento.op === "d" ? evento.before : evento.after;
  if (imagem) return imagem;
  return chave !== null && typeof chave === "object" ? (chave as T) : null;
}
