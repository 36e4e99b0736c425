// Per-column stats for an add action: min, max and null count, computed on the raw Arrow
// buffers. This is on the write path of every file (a million-row write computes it for each
// column of each partition), so each type family has its own tight loop that compares values
// in place and builds a key (decoded string, bigint) only for the winners.
import * as arrow from "apache-arrow";
import { type Dado, decodificador, leitorDeDado, lerDecimal, valido } from "./colunas";
import { type DataType, decimal } from "./protocolo";
import { type Chave, compararChaves } from "./tipos";

export interface EstatisticaColuna {
  min?: Chave;
  max?: Chave;
  nulos: number;
}

/** Rows of the min and max of one chunk (-1 when every value is null), and its nulls. */
interface Extremos {
  iMin: number;
  iMax: number;
  nulos: number;
}

/** min, max and null count of a column; min/max absent when every value is null or NaN shows up. */
export function estatisticas(vetor: arrow.Vector, tipo: DataType): EstatisticaColuna {
  if (typeof tipo !== "string" || tipo === "boolean" || tipo === "binary") return { nulos: vetor.nullCount };
  if (tipo === "string") return estatisticasDeTexto(vetor);
  if (decimal(tipo)) return estatisticasDeDecimal(vetor);
  if (tipo === "long" || tipo === "timestamp" || tipo === "timestamp_ntz") return estatisticasDeInt64(vetor);
  return estatisticasNumericas(vetor, tipo === "float" || tipo === "double");
}

// ---------------------------------------------------------------------------------------------
// Strings: UTF-8 byte order (the order Spark uses), compared in place.

function compararBytes(bytes: Uint8Array, a: number, b: number, c: number, d: number): number {
  const n = Math.min(b - a, d - c);
  for (let k = 0; k < n; k++) {
    const x = bytes[a + k]! - bytes[c + k]!;
    if (x !== 0) return x;
  }
  return b - a - (d - c);
}

function extremosDeTexto(d: Dado): Extremos {
  const o = d.valueOffsets as Int32Array;
  const bytes = d.values as Uint8Array;
  const semNulos = d.nullCount === 0;
  let nulos = 0;
  let iMin = -1;
  let iMax = -1;
  // First bytes of the current min and max (-1: empty string) settle most comparisons.
  let pMin = -1;
  let pMax = -1;
  for (let i = 0; i < d.length; i++) {
    if (!semNulos && !valido(d, i)) {
      nulos++;
      continue;
    }
    const a = o[i]!;
    const b = o[i + 1]!;
    const p = a < b ? bytes[a]! : -1;
    if (iMin < 0) {
      iMin = iMax = i;
      pMin = pMax = p;
      continue;
    }
    if (p < pMin || (p === pMin && p >= 0 && compararBytes(bytes, a, b, o[iMin]!, o[iMin + 1]!) < 0)) {
      iMin = i;
      pMin = p;
    } else if (p > pMax || (p === pMax && p >= 0 && compararBytes(bytes, a, b, o[iMax]!, o[iMax + 1]!) > 0)) {
      iMax = i;
      pMax = p;
    }
  }
  return { iMin, iMax, nulos };
}

function estatisticasDeTexto(vetor: arrow.Vector): EstatisticaColuna {
  let nulos = 0;
  let minB: Uint8Array | undefined;
  let maxB: Uint8Array | undefined;
  for (const d of vetor.data) {
    const e = extremosDeTexto(d);
    nulos += e.nulos;
    if (e.iMin < 0) continue;
    const o = d.valueOffsets as Int32Array;
    const bytes = d.values as Uint8Array;
    const lo = bytes.subarray(o[e.iMin]!, o[e.iMin + 1]!);
    const hi = bytes.subarray(o[e.iMax]!, o[e.iMax + 1]!);
    if (!minB || Buffer.compare(lo, minB) < 0) minB = lo;
    if (!maxB || Buffer.compare(hi, maxB) > 0) maxB = hi;
  }
  return { nulos, min: minB && decodificador.decode(minB), max: maxB && decodificador.decode(maxB) };
}

// ---------------------------------------------------------------------------------------------
// Decimals: 128-bit two's complement words compared in place; bigints only for the winners.

function extremosDeDecimal(d: Dado): Extremos {
  const w = d.values as Uint32Array;
  const semNulos = d.nullCount === 0;
  let nulos = 0;
  let iMin = -1;
  let iMax = -1;
  // The current min and max words are kept in locals (signed top word, unsigned rest).
  let m3 = 0,
    m2 = 0,
    m1 = 0,
    m0 = 0,
    M3 = 0,
    M2 = 0,
    M1 = 0,
    M0 = 0;
  for (let i = 0; i < d.length; i++) {
    if (!semNulos && !valido(d, i)) {
      nulos++;
      continue;
    }
    const base = i * 4;
    const x3 = w[base + 3]! | 0;
    const x2 = w[base + 2]!;
    const x1 = w[base + 1]!;
    const x0 = w[base]!;
    if (iMin < 0) {
      iMin = iMax = i;
      m3 = M3 = x3;
      m2 = M2 = x2;
      m1 = M1 = x1;
      m0 = M0 = x0;
      continue;
    }
    if (x3 < m3 || (x3 === m3 && (x2 < m2 || (x2 === m2 && (x1 < m1 || (x1 === m1 && x0 < m0)))))) {
      iMin = i;
      m3 = x3;
      m2 = x2;
      m1 = x1;
      m0 = x0;
    } else if (x3 > M3 || (x3 === M3 && (x2 > M2 || (x2 === M2 && (x1 > M1 || (x1 === M1 && x0 > M0)))))) {
      iMax = i;
      M3 = x3;
      M2 = x2;
      M1 = x1;
      M0 = x0;
    }
  }
  return { iMin, iMax, nulos };
}

function estatisticasDeDecimal(vetor: arrow.Vector): EstatisticaColuna {
  let nulos = 0;
  let lo: bigint | undefined;
  let hi: bigint | undefined;
  for (const d of vetor.data) {
    const e = extremosDeDecimal(d);
    nulos += e.nulos;
    if (e.iMin < 0) continue;
    const w = d.values as Uint32Array;
    const a = lerDecimal(w, e.iMin * 4);
    const b = lerDecimal(w, e.iMax * 4);
    if (lo === undefined || a < lo) lo = a;
    if (hi === undefined || b > hi) hi = b;
  }
  return { nulos, min: lo, max: hi };
}

// ---------------------------------------------------------------------------------------------
// int64 (long, timestamps): (signed high, unsigned low) 32-bit halves, as BigInt comparisons are slow.

function extremosDeInt64(d: Dado): Extremos {
  const v = d.values as BigInt64Array;
  const alto = new Int32Array(v.buffer, v.byteOffset, v.length * 2);
  const baixo = new Uint32Array(v.buffer, v.byteOffset, v.length * 2);
  const semNulos = d.nullCount === 0;
  let nulos = 0;
  let iMin = -1;
  let iMax = -1;
  let minA = 0;
  let minB = 0;
  let maxA = 0;
  let maxB = 0;
  for (let i = 0; i < d.length; i++) {
    if (!semNulos && !valido(d, i)) {
      nulos++;
      continue;
    }
    const a = alto[2 * i + 1]!;
    const b = baixo[2 * i]!;
    if (iMin < 0) {
      iMin = iMax = i;
      minA = maxA = a;
      minB = maxB = b;
      continue;
    }
    if (a < minA || (a === minA && b < minB)) {
      iMin = i;
      minA = a;
      minB = b;
    }
    if (a > maxA || (a === maxA && b > maxB)) {
      iMax = i;
      maxA = a;
      maxB = b;
    }
  }
  return { iMin, iMax, nulos };
}

function estatisticasDeInt64(vetor: arrow.Vector): EstatisticaColuna {
  let nulos = 0;
  let lo: bigint | undefined;
  let hi: bigint | undefined;
  for (const d of vetor.data) {
    const e = extremosDeInt64(d);
    nulos += e.nulos;
    if (e.iMin < 0) continue;
    const v = d.values as BigInt64Array;
    if (lo === undefined || v[e.iMin]! < lo) lo = v[e.iMin]!;
    if (hi === undefined || v[e.iMax]! > hi) hi = v[e.iMax]!;
  }
  return { nulos, min: lo, max: hi };
}

// ---------------------------------------------------------------------------------------------
// Other numbers (float, double, integer, short, byte, date): over the typed array; any NaN means
// no min/max at all, as a NaN bound would make file skipping wrong.

interface Acumulado {
  nulos: number;
  min?: Chave;
  max?: Chave;
  nan: boolean;
}

/** Monomorphic loop over a chunk of floats. */
function acumularFlutuantes(d: Dado, v: Float32Array | Float64Array, acc: Acumulado): void {
  const bm = d.nullBitmap;
  const off = d.offset;
  const checar = d.nullCount !== 0 && bm !== undefined && bm !== null && bm.length > 0;
  let lo = Infinity;
  let hi = -Infinity;
  let visto = false;
  for (let i = 0; i < d.length; i++) {
    if (checar) {
      const j = off + i;
      if (((bm[j >> 3]! >> (j & 7)) & 1) === 0) {
        acc.nulos++;
        continue;
      }
    }
    const x = v[i]!;
    if (Number.isNaN(x)) {
      acc.nan = true;
      continue;
    }
    visto = true;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  if (visto) {
    if (acc.min === undefined || lo < (acc.min as number)) acc.min = lo;
    if (acc.max === undefined || hi > (acc.max as number)) acc.max = hi;
  }
}

/** Fast path over any other typed array (integers, dates). */
function acumularTipados(d: Dado, flutuante: boolean, acc: Acumulado): void {
  const v = d.values as unknown as ArrayLike<number | bigint>;
  const semNulos = d.nullCount === 0;
  let lo = acc.min as number | bigint | undefined;
  let hi = acc.max as number | bigint | undefined;
  for (let i = 0; i < d.length; i++) {
    if (!semNulos && !valido(d, i)) {
      acc.nulos++;
      continue;
    }
    const x = v[i]!;
    if (flutuante && Number.isNaN(x)) {
      acc.nan = true;
      continue;
    }
    if (lo === undefined || x < lo) lo = x;
    if (hi === undefined || x > hi) hi = x;
  }
  acc.min = lo;
  acc.max = hi;
}

/** Any other chunk, through its keys. */
function acumularChaves(d: Dado, acc: Acumulado): void {
  const ler = leitorDeDado(d);
  for (let i = 0; i < d.length; i++) {
    const k = ler(i);
    if (k === null) {
      acc.nulos++;
      continue;
    }
    if (acc.min === undefined || compararChaves(k, acc.min) < 0) acc.min = k;
    if (acc.max === undefined || compararChaves(k, acc.max) > 0) acc.max = k;
  }
}

function estatisticasNumericas(vetor: arrow.Vector, flutuante: boolean): EstatisticaColuna {
  const acc: Acumulado = { nulos: 0, nan: false };
  for (const d of vetor.data) {
    const t = d.type;
    const tipado = arrow.DataType.isInt(t) || arrow.DataType.isFloat(t) || arrow.DataType.isDate(t) || arrow.DataType.isTimestamp(t);
    if (flutuante && (d.values instanceof Float64Array || d.values instanceof Float32Array)) acumularFlutuantes(d, d.values, acc);
    else if (tipado) acumularTipados(d, flutuante, acc);
    else acumularChaves(d, acc);
  }
  if (acc.nan) return { nulos: acc.nulos };
  return { nulos: acc.nulos, min: acc.min, max: acc.max };
}
