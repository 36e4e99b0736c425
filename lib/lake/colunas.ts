// Arrow columns at the buffer level: read a value's key, build a column from keys, pick rows
// (take), constant and null columns. Working on the raw buffers keeps a million-row write fast
// and keeps microseconds, int64 and decimals exact. Per-column stats are estatisticas.ts;
// conforming input to a table's schema is conformar.ts.
import * as arrow from "apache-arrow";
import type { DataType } from "./protocolo";
import { type Chave, arrowCanonico, tipoArrow } from "./tipos";

export type Dado = arrow.Data<arrow.DataType>;

// Arrow JS slices the value and offset buffers of a sliced Data but not the validity (or
// boolean) bitmaps: `offset` only applies to bitmaps.
export function valido(d: Dado, i: number): boolean {
  const bm = d.nullBitmap;
  if (!bm || bm.length === 0 || d.nullCount === 0) return true;
  const j = d.offset + i;
  return ((bm[j >> 3]! >> (j & 7)) & 1) === 1;
}

const DEC_WORD = 0x1_0000_0000n;

export function lerDecimal(w: Uint32Array, base: number): bigint {
  let x = (BigInt(w[base + 3]!) << 96n) | (BigInt(w[base + 2]!) << 64n) | (BigInt(w[base + 1]!) << 32n) | BigInt(w[base]!);
  if (w[base + 3]! & 0x8000_0000) x -= 1n << 128n;
  return x;
}

function gravarDecimal(w: Uint32Array, base: number, v: bigint): void {
  let x = v < 0n ? v + (1n << 128n) : v;
  for (let k = 0; k < 4; k++) {
    w[base + k] = Number(x % DEC_WORD);
    x /= DEC_WORD;
  }
}

export const decodificador = new TextDecoder();

/** Key reader for one chunk of a column in our canonical Arrow types. */
export function leitorDeDado(d: Dado): (i: number) => Chave | null {
  const t = d.type;
  const off = d.offset;
  if (arrow.DataType.isUtf8(t) || arrow.DataType.isBinary(t)) {
    const o = d.valueOffsets as Int32Array;
    const bytes = d.values as Uint8Array;
    const texto = arrow.DataType.isUtf8(t);
    return (i) => {
      if (!valido(d, i)) return null;
      const s = bytes.subarray(o[i]!, o[i + 1]!);
      return texto ? decodificador.decode(s) : s.slice();
    };
  }
  if (arrow.DataType.isBool(t)) {
    const bits = d.values as Uint8Array;
    return (i) => (valido(d, i) ? ((bits[(off + i) >> 3]! >> ((off + i) & 7)) & 1) === 1 : null);
  }
  if (arrow.DataType.isDecimal(t)) {
    const w = d.values as Uint32Array;
    return (i) => (valido(d, i) ? lerDecimal(w, i * 4) : null);
  }
  if (
    arrow.DataType.isInt(t) ||
    arrow.DataType.isFloat(t) ||
    arrow.DataType.isTimestamp(t) ||
    (arrow.DataType.isDate(t) && t.unit === arrow.DateUnit.DAY)
  ) {
    const v = d.values as ArrayLike<number | bigint>;
    return (i) => (valido(d, i) ? (v[i] as Chave) : null);
  }
  // Nested columns: Arrow JS values (keys are only used for primitive columns).
  const vec = arrow.makeVector(d);
  return (i) => (valido(d, i) ? (vec.get(i) as Chave) : null);
}

/** A global row → its chunk and row within it, over a chunked column; sequential access is O(1). */
class LocalizadorDeChunks {
  /** The chunk of the last row asked for. */
  chunk = 0;
  private readonly inicios: number[] = [];

  constructor(chunks: readonly { length: number }[]) {
    let acc = 0;
    for (const d of chunks) {
      this.inicios.push(acc);
      acc += d.length;
    }
  }

  /** The row within its chunk (and `chunk` now points at that chunk). */
  local(i: number): number {
    const inicios = this.inicios;
    if (i < inicios[this.chunk]! || (this.chunk + 1 < inicios.length && i >= inicios[this.chunk + 1]!)) {
      let lo = 0;
      let hi = inicios.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (inicios[mid]! <= i) lo = mid;
        else hi = mid - 1;
      }
      this.chunk = lo;
    }
    return i - inicios[this.chunk]!;
  }
}

/** Key reader over all chunks of a column; sequential access is O(1). */
export function leitor(vetor: arrow.Vector): (i: number) => Chave | null {
  const chunks = vetor.data;
  if (chunks.length === 1) return leitorDeDado(chunks[0]!);
  const leitores = chunks.map((d) => leitorDeDado(d));
  const loc = new LocalizadorDeChunks(chunks);
  return (i) => {
    const local = loc.local(i);
    return leitores[loc.chunk]!(local);
  };
}

function novoBitmap(n: number): Uint8Array {
  return new Uint8Array(((n + 63) >> 6) << 3);
}

/** Offsets and bytes of a string / binary column from its keys (two passes: sizes, then copies). */
function bytesDasChaves(
  n: number,
  chave: (i: number) => Chave | null,
  marcar: (i: number) => void,
): { nulos: number; valueOffsets: Int32Array; data: Uint8Array } {
  const valores: (Chave | null)[] = new Array(n);
  let nulos = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const k = chave(i);
    valores[i] = k;
    if (k === null) nulos++;
    else total += typeof k === "string" ? Buffer.byteLength(k) : (k as Uint8Array).length;
  }
  const dados = Buffer.allocUnsafe(total);
  const offsets = new Int32Array(n + 1);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const k = valores[i]!;
    if (k !== null) {
      marcar(i);
      if (typeof k === "string") pos += dados.write(k, pos);
      else {
        dados.set(k as Uint8Array, pos);
        pos += (k as Uint8Array).length;
      }
    }
    offsets[i + 1] = pos;
  }
  return { nulos, valueOffsets: offsets, data: new Uint8Array(dados.buffer, dados.byteOffset, pos) };
}

/** Builds a canonical column of n values from their keys. */
export function construir(tipo: DataType, n: number, chave: (i: number) => Chave | null): arrow.Vector {
  const t = tipoArrow(tipo);
  const bitmap = novoBitmap(n);
  let nulos = 0;
  const marcar = (i: number) => {
    bitmap[i >> 3]! |= 1 << (i & 7);
  };
  const fazer = (props: Record<string, unknown>) =>
    arrow.makeVector(arrow.makeData({ type: t, length: n, nullCount: nulos, nullBitmap: nulos ? bitmap : null, ...props } as never));
  if (arrow.DataType.isUtf8(t) || arrow.DataType.isBinary(t)) {
    const { nulos: semValor, ...buffers } = bytesDasChaves(n, chave, marcar);
    nulos = semValor;
    return fazer(buffers);
  }
  if (arrow.DataType.isBool(t)) {
    const bits = novoBitmap(n);
    for (let i = 0; i < n; i++) {
      const k = chave(i);
      if (k === null) nulos++;
      else {
        marcar(i);
        if (k) bits[i >> 3]! |= 1 << (i & 7);
      }
    }
    return fazer({ data: bits });
  }
  if (arrow.DataType.isDecimal(t)) {
    const w = new Uint32Array(n * 4);
    for (let i = 0; i < n; i++) {
      const k = chave(i);
      if (k === null) nulos++;
      else {
        marcar(i);
        gravarDecimal(w, i * 4, k as bigint);
      }
    }
    return fazer({ data: w });
  }
  const Construtor = construtorDe(t);
  if (Construtor) {
    const v = new Construtor(n);
    const grande = v instanceof BigInt64Array;
    for (let i = 0; i < n; i++) {
      const k = chave(i);
      if (k === null) nulos++;
      else {
        marcar(i);
        (v as unknown as (number | bigint)[])[i] = grande ? (k as bigint) : (k as number);
      }
    }
    return fazer({ data: v });
  }
  // Nested types: Arrow JS's own builder.
  const valores: unknown[] = [];
  for (let i = 0; i < n; i++) valores.push(chave(i));
  return arrow.vectorFromArray(valores, t as never);
}

type ConstrutorTipado = new (n: number) => Int8Array | Int16Array | Int32Array | BigInt64Array | Float32Array | Float64Array;

function construtorDe(t: arrow.DataType): ConstrutorTipado | undefined {
  if (arrow.DataType.isInt(t)) {
    return ({ 8: Int8Array, 16: Int16Array, 32: Int32Array, 64: BigInt64Array } as Record<number, ConstrutorTipado>)[t.bitWidth];
  }
  if (arrow.DataType.isFloat(t)) return t.precision === arrow.Precision.SINGLE ? Float32Array : Float64Array;
  if (arrow.DataType.isDate(t)) return Int32Array;
  if (arrow.DataType.isTimestamp(t)) return BigInt64Array;
  return undefined;
}

/** Column of n copies of one key (partition columns on read). */
export function constante(tipo: DataType, k: Chave | null, n: number): arrow.Vector {
  return construir(tipo, n, () => k);
}

/**
 * Rows `indices` of a column (take), copying raw buffers; indices may repeat and come in any
 * order, and may span the column's chunks.
 */
export function selecionar(vetor: arrow.Vector, tipo: DataType, indices: ArrayLike<number>): arrow.Vector {
  const n = indices.length;
  // A contiguous ascending run (rows already grouped by partition) is a zero-copy slice.
  if (n > 0 && indices[n - 1]! - indices[0]! === n - 1) {
    let contiguo = true;
    for (let k = 1; k < n && contiguo; k++) contiguo = indices[k] === indices[k - 1]! + 1;
    if (contiguo) return vetor.slice(indices[0]!, indices[n - 1]! + 1);
  }
  const chunks = vetor.data;
  const t = chunks[0]?.type ?? tipoArrow(tipo);
  const loc = new LocalizadorDeChunks(chunks);
  const bitmap = novoBitmap(n);
  let nulos = 0;
  if ((arrow.DataType.isUtf8(t) || arrow.DataType.isBinary(t)) && arrowCanonico(t, tipo)) {
    // Two passes over offsets: sizes, then byte copies.
    const offsets = new Int32Array(n + 1);
    const locais = new Int32Array(n);
    const qual = new Int32Array(n);
    let total = 0;
    for (let k = 0; k < n; k++) {
      const local = loc.local(indices[k]!);
      const d = chunks[loc.chunk]!;
      locais[k] = local;
      qual[k] = loc.chunk;
      if (valido(d, local)) {
        bitmap[k >> 3]! |= 1 << (k & 7);
        const o = d.valueOffsets as Int32Array;
        total += o[local + 1]! - o[local]!;
      } else nulos++;
      offsets[k + 1] = total;
    }
    const bytes = new Uint8Array(total);
    for (let k = 0; k < n; k++) {
      const ini = offsets[k]!;
      const fim = offsets[k + 1]!;
      if (fim === ini) continue;
      const d = chunks[qual[k]!]!;
      const o = d.valueOffsets as Int32Array;
      const de = o[locais[k]!]!;
      bytes.set((d.values as Uint8Array).subarray(de, de + (fim - ini)), ini);
    }
    return arrow.makeVector(
      arrow.makeData({
        type: t,
        length: n,
        nullCount: nulos,
        nullBitmap: nulos ? bitmap : null,
        valueOffsets: offsets,
        data: bytes,
      } as never),
    );
  }
  const Construtor = construtorDe(t);
  const fixo = Construtor !== undefined || arrow.DataType.isDecimal(t);
  if (!fixo || !arrowCanonico(t, tipo)) {
    const ler = leitor(vetor);
    return construir(tipo, n, (k) => ler(indices[k]!));
  }
  const stride = arrow.DataType.isDecimal(t) ? 4 : 1;
  const saida = arrow.DataType.isDecimal(t) ? new Uint32Array(n * 4) : new Construtor!(n);
  for (let k = 0; k < n; k++) {
    const local = loc.local(indices[k]!);
    const d = chunks[loc.chunk]!;
    if (!valido(d, local)) {
      nulos++;
      continue;
    }
    bitmap[k >> 3]! |= 1 << (k & 7);
    const src = d.values as unknown as ArrayLike<number | bigint>;
    const base = local * stride;
    if (stride === 1) (saida as unknown as (number | bigint)[])[k] = src[base]!;
    else for (let s = 0; s < stride; s++) (saida as Uint32Array)[k * stride + s] = src[base + s] as number;
  }
  return arrow.makeVector(
    arrow.makeData({ type: t, length: n, nullCount: nulos, nullBitmap: nulos ? bitmap : null, data: saida } as never),
  );
}
