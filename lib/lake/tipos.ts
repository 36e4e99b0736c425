// Delta column types and their three faces: the Arrow type a column has in memory, the value a
// student sees in a row (linhas()), and a comparable "key" (bigint for long/decimal/timestamp,
// days for date) used for stats, partition values and predicates without losing precision.
// Their text forms in the log (partition values, stats) are serializacao.ts.
import * as arrow from "apache-arrow";
import { type DataType, type PrimitiveType, type StructType, ErroLake, decimal, descreverTipo } from "./protocolo";

/** Comparable form of a value: exact for long (bigint), decimal (unscaled bigint), timestamp (µs bigint), date (days). */
export type Chave = string | number | bigint | boolean | Uint8Array;

const DIA_MS = 86_400_000;

// ---------------------------------------------------------------------------------------------
// Delta type → Arrow type

/** The Arrow type each primitive Delta type is held in (decimals aside): one row per type. */
const TIPOS_ARROW = new Map<string, () => arrow.DataType>(
  Object.entries({
    string: () => new arrow.Utf8(),
    long: () => new arrow.Int64(),
    integer: () => new arrow.Int32(),
    short: () => new arrow.Int16(),
    byte: () => new arrow.Int8(),
    float: () => new arrow.Float32(),
    double: () => new arrow.Float64(),
    boolean: () => new arrow.Bool(),
    binary: () => new arrow.Binary(),
    date: () => new arrow.DateDay(),
    timestamp: () => new arrow.TimestampMicrosecond("UTC"),
    timestamp_ntz: () => new arrow.TimestampMicrosecond(),
  }),
);

export function tipoArrow(tipo: DataType): arrow.DataType {
  if (typeof tipo !== "string") {
    if (tipo.type === "struct") return new arrow.Struct(tipo.fields.map((f) => new arrow.Field(f.name, tipoArrow(f.type), f.nullable)));
    if (tipo.type === "array") return new arrow.List(new arrow.Field("element", tipoArrow(tipo.elementType), tipo.containsNull));
    return new arrow.Map_(
      new arrow.Field(
        "key_value",
        new arrow.Struct([
          new arrow.Field("key", tipoArrow(tipo.keyType), false),
          new arrow.Field("value", tipoArrow(tipo.valueType), tipo.valueContainsNull),
        ] as never),
        false,
      ),
    );
  }
  const dec = decimal(tipo);
  if (dec) return new arrow.Decimal(dec.escala, dec.precisao, 128);
  const criar = TIPOS_ARROW.get(tipo);
  if (!criar) throw new ErroLake(`O lib/lake não sabe representar o tipo Delta '${tipo}' em Arrow.`);
  return criar();
}

export function esquemaArrow(esquema: StructType, colunas?: string[]): arrow.Schema {
  const campos = colunas ? colunas.map((c) => campo(esquema, c)) : esquema.fields;
  return new arrow.Schema(campos.map((f) => new arrow.Field(f.name, tipoArrow(f.type), f.nullable)));
}

export function campo(esquema: StructType, nome: string) {
  const f = esquema.fields.find((x) => x.name === nome);
  if (!f) {
    throw new ErroLake(`Coluna desconhecida: '${nome}'. Colunas da tabela: ${esquema.fields.map((x) => x.name).join(", ")}.`);
  }
  return f;
}

/** True when an Arrow column of type `a` already holds Delta type `tipo` exactly as we store it. */
export function arrowCanonico(a: arrow.DataType, tipo: DataType): boolean {
  const alvo = tipoArrow(tipo);
  if (a.typeId !== alvo.typeId) return false;
  if (arrow.DataType.isInt(a) && arrow.DataType.isInt(alvo)) return a.bitWidth === alvo.bitWidth && a.isSigned === alvo.isSigned;
  if (arrow.DataType.isFloat(a) && arrow.DataType.isFloat(alvo)) return a.precision === alvo.precision;
  if (arrow.DataType.isDate(a) && arrow.DataType.isDate(alvo)) return a.unit === alvo.unit;
  if (arrow.DataType.isTimestamp(a) && arrow.DataType.isTimestamp(alvo)) {
    return a.unit === alvo.unit && (a.timezone == null) === (alvo.timezone == null);
  }
  if (arrow.DataType.isDecimal(a) && arrow.DataType.isDecimal(alvo)) {
    return a.scale === alvo.scale && a.precision === alvo.precision && a.bitWidth === alvo.bitWidth;
  }
  if (typeof tipo !== "string") return String(a) === String(alvo);
  return true;
}

/** The Delta type an Arrow column maps to (to create a table from an Arrow table). */
export function tipoDelta(a: arrow.DataType, nome: string): DataType {
  if (arrow.DataType.isInt(a)) {
    if (!a.isSigned && a.bitWidth >= 32) return a.bitWidth === 32 ? "long" : falhar();
    return a.bitWidth === 64 ? "long" : a.bitWidth === 32 ? "integer" : a.bitWidth === 16 ? "short" : "byte";
  }
  if (arrow.DataType.isFloat(a)) return a.precision === arrow.Precision.SINGLE ? "float" : "double";
  if (arrow.DataType.isBool(a)) return "boolean";
  if (arrow.DataType.isUtf8(a) || arrow.DataType.isLargeUtf8(a)) return "string";
  if (arrow.DataType.isBinary(a) || arrow.DataType.isLargeBinary(a)) return "binary";
  if (arrow.DataType.isDate(a)) return "date";
  if (arrow.DataType.isTimestamp(a)) return a.timezone ? "timestamp" : "timestamp_ntz";
  if (arrow.DataType.isDecimal(a)) return `decimal(${a.precision},${a.scale})`;
  if (arrow.DataType.isDictionary(a)) return tipoDelta(a.dictionary, nome);
  return falhar();
  function falhar(): never {
    throw new ErroLake(`A coluna '${nome}' tem o tipo Arrow ${String(a)}, que o lib/lake não sabe gravar em Delta.`);
  }
}

// ---------------------------------------------------------------------------------------------
// Values in, keys, values out

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const LIMITES: Record<string, [number, number]> = {
  integer: [-(2 ** 31), 2 ** 31 - 1],
  short: [-(2 ** 15), 2 ** 15 - 1],
  byte: [-128, 127],
};

/** Describes a value for an error message. */
export function mostrar(v: unknown): string {
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "string") return JSON.stringify(v);
  if (v instanceof Date) return `Date(${Number.isNaN(v.getTime()) ? "inválida" : v.toISOString()})`;
  if (v instanceof Uint8Array) return `Uint8Array(${v.length})`;
  if (v === undefined) return "undefined";
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function esperado(tipo: DataType): string {
  if (typeof tipo !== "string") return descreverTipo(tipo);
  if (decimal(tipo)) return `${tipo} (número, texto como "123.45" ou bigint)`;
  switch (tipo) {
    case "long":
      return "long (bigint ou número inteiro)";
    case "integer":
    case "short":
    case "byte":
      return `${tipo} (número inteiro entre ${LIMITES[tipo]![0]} e ${LIMITES[tipo]![1]})`;
    case "float":
    case "double":
      return `${tipo} (número)`;
    case "date":
      return 'date (Date ou texto "AAAA-MM-DD")';
    case "timestamp":
    case "timestamp_ntz":
      return `${tipo} (Date, texto ISO 8601 ou milissegundos desde 1970)`;
    case "boolean":
      return "boolean (true/false)";
    case "binary":
      return "binary (Uint8Array)";
    default:
      return tipo;
  }
}

/**
 * Converts a value a student wrote (in a row, a predicate or a `definir`) to its key.
 * `onde` says where the value came from, for the error message.
 */
export function paraChave(tipo: DataType, v: unknown, onde: string, paraComparar = false): Chave {
  const erro = () => new ErroLake(`Valor inválido em ${onde}: ${mostrar(v)}. Esperado ${esperado(tipo)}.`);
  if (typeof tipo !== "string") throw new ErroLake(`Em ${onde}: colunas do tipo ${descreverTipo(tipo)} não são suportadas pelo lib/lake.`);
  const dec = decimal(tipo);
  if (dec) {
    const u = decimalParaInteiro(v, dec.escala);
    if (u === undefined) throw erro();
    // A predicate may compare with any number; only stored values must fit the precision.
    if (!paraComparar && (u < 0n ? -u : u) >= 10n ** BigInt(dec.precisao)) {
      throw new ErroLake(
        `Valor ${mostrar(v)} em ${onde} não cabe em ${tipo} (no máximo ${dec.precisao} dígitos, ${dec.escala} após a vírgula).`,
      );
    }
    return u;
  }
  switch (tipo as PrimitiveType) {
    case "string":
      if (typeof v !== "string") throw erro();
      return v;
    case "long": {
      let b: bigint;
      if (typeof v === "bigint") b = v;
      else if (typeof v === "number" && Number.isSafeInteger(v)) b = BigInt(v);
      else if (typeof v === "string" && /^-?\d+$/.test(v.trim())) b = BigInt(v.trim());
      else throw erro();
      if (b < INT64_MIN || b > INT64_MAX) throw erro();
      return b;
    }
    case "integer":
    case "short":
    case "byte": {
      const n = typeof v === "bigint" ? Number(v) : v;
      const [lo, hi] = LIMITES[tipo]!;
      if (typeof n !== "number" || !Number.isInteger(n) || n < lo || n > hi) throw erro();
      return n;
    }
    case "float":
    case "double":
      if (typeof v !== "number") throw erro();
      return tipo === "float" ? Math.fround(v) : v;
    case "boolean":
      if (typeof v !== "boolean") throw erro();
      return v;
    case "binary":
      if (!(v instanceof Uint8Array)) throw erro();
      return v;
    case "date": {
      if (v instanceof Date && !Number.isNaN(v.getTime())) return Math.floor(v.getTime() / DIA_MS);
      if (typeof v === "string") {
        const d = diaDeTexto(v);
        if (d !== undefined) return d;
      }
      throw erro();
    }
    case "timestamp":
    case "timestamp_ntz": {
      if (v instanceof Date && !Number.isNaN(v.getTime())) return BigInt(v.getTime()) * 1000n;
      if (typeof v === "number" && Number.isFinite(v)) return BigInt(Math.round(v * 1000));
      if (typeof v === "string") {
        const us = microsDeTexto(v);
        if (us !== undefined) return us;
      }
      throw erro();
    }
    default:
      throw erro();
  }
}

/** Unscaled integer of a decimal value at `escala`, rounding half away from zero; undefined if not a number. */
export function decimalParaInteiro(v: unknown, escala: number): bigint | undefined {
  if (typeof v === "bigint") return v * 10n ** BigInt(escala);
  let texto: string;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return undefined;
    texto = Math.abs(v) < 1e21 ? v.toFixed(Math.min(20, escala + 2)) : String(v);
  } else if (typeof v === "string") texto = v.trim();
  else return undefined;
  const m = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(texto);
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) return undefined;
  const negativo = m[1] === "-";
  let inteiro = m[2] || "0";
  let fracao = m[3] ?? "";
  let exp = Number(m[4] ?? 0);
  // Shift the decimal point by the exponent.
  while (exp > 0) {
    inteiro += fracao[0] ?? "0";
    fracao = fracao.slice(1);
    exp--;
  }
  while (exp < 0) {
    fracao = (inteiro.slice(-1) || "0") + fracao;
    inteiro = inteiro.slice(0, -1) || "0";
    exp++;
  }
  const manter = fracao.slice(0, escala).padEnd(escala, "0");
  let u = BigInt(inteiro + manter);
  if ((fracao[escala] ?? "0") >= "5") u += 1n;
  return negativo ? -u : u;
}

export function inteiroParaDecimal(u: bigint, escala: number): string {
  const neg = u < 0n;
  const s = (neg ? -u : u).toString().padStart(escala + 1, "0");
  const texto = escala === 0 ? s : `${s.slice(0, s.length - escala)}.${s.slice(s.length - escala)}`;
  return neg ? `-${texto}` : texto;
}

export function diaDeTexto(s: string): number | undefined {
  const m = /^(-?\d{4,})-(\d{2})-(\d{2})$/.exec(s.trim());
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const d = new Date(ms);
  if (d.getUTCDate() !== Number(m[3])) return undefined;
  return ms / DIA_MS;
}

export function textoDeDia(dia: number): string {
  return new Date(dia * DIA_MS).toISOString().slice(0, 10);
}

/**
 * Microseconds since the epoch from ISO 8601 or Delta's "AAAA-MM-DD hh:mm:ss[.ffffff]"
 * (read as UTC), keeping all six fractional digits.
 */
export function microsDeTexto(s: string): bigint | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/.exec(s.trim());
  if (!m) return undefined;
  const base = `${m[1]}T${m[2] ?? "00"}:${m[3] ?? "00"}:${m[4] ?? "00"}${normalizarFuso(m[6] ?? "Z")}`;
  const ms = Date.parse(base);
  if (Number.isNaN(ms)) return undefined;
  const fracao = (m[5] ?? "").padEnd(6, "0").slice(0, 6);
  return BigInt(ms) * 1000n + BigInt(fracao);
}

function normalizarFuso(z: string): string {
  if (z === "Z") return z;
  return z.includes(":") ? z : `${z.slice(0, 3)}:${z.slice(3)}`;
}

/** "2024-01-01T12:00:00.123456Z" */
export function textoDeMicros(us: bigint): string {
  let ms = us / 1000n;
  let resto = us % 1000n;
  if (resto < 0n) {
    resto += 1000n;
    ms -= 1n;
  }
  const iso = new Date(Number(ms)).toISOString(); // ...ss.mmmZ
  return `${iso.slice(0, -1)}${resto.toString().padStart(3, "0")}Z`;
}

/** The value a student sees in a row for a key. */
export function valorDeChave(tipo: DataType, k: Chave | null): unknown {
  if (k === null) return null;
  if (typeof tipo !== "string") return k;
  const dec = decimal(tipo);
  if (dec) return inteiroParaDecimal(k as bigint, dec.escala);
  if (tipo === "date") return new Date((k as number) * DIA_MS);
  if (tipo === "timestamp" || tipo === "timestamp_ntz") return new Date(Number(divPiso(k as bigint, 1000n)));
  return k;
}

/** Floor division (BigInt's / truncates toward zero, wrong for instants before 1970). */
function divPiso(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

export function compararChaves(a: Chave, b: Chave): number {
  if (typeof a === "bigint" || typeof b === "bigint") {
    const x = typeof a === "bigint" ? a : BigInt(a as number);
    const y = typeof b === "bigint" ? b : BigInt(b as number);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === "string" && typeof b === "string") return compararTextos(a, b);
  if (typeof a === "boolean" || typeof b === "boolean") return Number(a) - Number(b);
  const x = a as number;
  const y = b as number;
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Strings in code point order, which is UTF-8 byte order: Spark's, and the order of our string
 * stats. JavaScript's < compares UTF-16 units, which puts characters above U+FFFF (emoji) before
 * U+E000–U+FFFF (fullwidth letters…) and would disagree with both.
 */
function compararTextos(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return ordemDeUnidade(x) < ordemDeUnidade(y) ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

/** Moves surrogates (D800–DFFF) above E000–FFFF, so units compare as their code points do. */
const ordemDeUnidade = (u: number): number => (u >= 0xe000 ? u - 0x800 : u >= 0xd800 ? u + 0x2000 : u);

/** A key as a string, to group rows (merge keys, partitions). */
export function textoDeChave(k: Chave | null): string {
  if (k === null) return "\u0000null";
  if (k instanceof Uint8Array) return `b:${Buffer.from(k).toString("hex")}`;
  return `${typeof k}:${String(k)}`;
}
