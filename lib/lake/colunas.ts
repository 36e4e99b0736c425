// Arrow columns at the buffer level: read a value's key, build a column from keys, pick rows
// (take), constant and null columns, per-column stats, and conforming any Arrow table or array
// of rows to a table's schema. Working on the raw buffers keeps a million-row write fast and
// keeps microseconds, int64 and decimals exact.
import * as arrow from "apache-arrow";
import { type DataType, type StructType, ErroLake, decimal, descreverTipo } from "./protocolo";
import { type Chave, arrowCanonico, compararChaves, mostrar, paraChave, tipoArrow } from "./tipos";

type Dado = arrow.Data<arrow.DataType>;

// Arrow JS slices the value and offset buffers of a sliced Data but not the validity (or
// boolean) bitmaps: `offset` only applies to bitmaps.
function valido(d: Dado, i: number): boolean {
  const bm = d.nullBitmap;
  if (!bm || bm.length === 0 || d.nullCount === 0) return true;
  const j = d.offset + i;
  return ((bm[j >> 3]! >> (j & 7)) & 1) === 1;
}

const DEC_WORD = 0x1_0000_0000n;

function lerDecimal(w: Uint32Array, base: number): bigint {
  let x =
    (BigInt(w[base + 3]!) << 96n) | (BigInt(w[base + 2]!) << 64n) | (BigInt(w[base + 1]!) << 32n) | BigInt(w[base]!);
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

const decodificador = new TextDecoder();

/** Key reader for one chunk of a column in our canonical Arrow types. */
function leitorDeDado(d: Dado): (i: number) => Chave | null {
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

/** Builds a canonical column of n values from their keys. */
export function construir(tipo: DataType, n: number, chave: (i: number) => Chave | null): arrow.Vector {
  const t = tipoArrow(tipo);
  const bitmap = novoBitmap(n);
  let nulos = 0;
  const marcar = (i: number) => {
    bitmap[i >> 3]! |= 1 << (i & 7);
  };
  const fazer = (props: Record<string, unknown>) =>
    arrow.makeVector(
      arrow.makeData({ type: t, length: n, nullCount: nulos, nullBitmap: nulos ? bitmap : null, ...props } as never),
    );
  if (arrow.DataType.isUtf8(t) || arrow.DataType.isBinary(t)) {
    const valores: (Chave | null)[] = new Array(n);
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
    return fazer({ valueOffsets: offsets, data: new Uint8Array(dados.buffer, dados.byteOffset, pos) });
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
 * Rows `indices` of a column (take), copying raw buffers. `fonte` maps a global row to
 * [chunk, local row]; indices may repeat and come in any order.
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
      arrow.makeData({ type: t, length: n, nullCount: nulos, nullBitmap: nulos ? bitmap : null, valueOffsets: offsets, data: bytes } as never),
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
    const base = (local) * stride;
    if (stride === 1) (saida as unknown as (number | bigint)[])[k] = src[base]!;
    else for (let s = 0; s < stride; s++) (saida as Uint32Array)[k * stride + s] = src[base + s] as number;
  }
  return arrow.makeVector(
    arrow.makeData({ type: t, length: n, nullCount: nulos, nullBitmap: nulos ? bitmap : null, data: saida } as never),
  );
}

// ---------------------------------------------------------------------------------------------
// Stats

export interface EstatisticaColuna {
  min?: Chave;
  max?: Chave;
  nulos: number;
}

function compararBytes(bytes: Uint8Array, a: number, b: number, c: number, d: number): number {
  const n = Math.min(b - a, d - c);
  for (let k = 0; k < n; k++) {
    const x = bytes[a + k]! - bytes[c + k]!;
    if (x !== 0) return x;
  }
  return b - a - (d - c);
}

/** min, max and null count of a column; min/max absent when every value is null or NaN shows up. */
export function estatisticas(vetor: arrow.Vector, tipo: DataType): EstatisticaColuna {
  let nulos = 0;
  let min: Chave | undefined;
  let max: Chave | undefined;
  if (typeof tipo !== "string" || tipo === "boolean" || tipo === "binary") {
    return { nulos: vetor.nullCount };
  }
  if (tipo === "string") {
    // Compare UTF-8 bytes in place (the order Spark uses) and decode only the winners.
    let minB: Uint8Array | undefined;
    let maxB: Uint8Array | undefined;
    for (const d of vetor.data) {
      const o = d.valueOffsets as Int32Array;
      const bytes = d.values as Uint8Array;
      const semNulos = d.nullCount === 0;
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
      if (iMin < 0) continue;
      const lo = bytes.subarray(o[iMin]!, o[iMin + 1]!);
      const hi = bytes.subarray(o[iMax]!, o[iMax + 1]!);
      if (!minB || Buffer.compare(lo, minB) < 0) minB = lo;
      if (!maxB || Buffer.compare(hi, maxB) > 0) maxB = hi;
    }
    return { nulos, min: minB && decodificador.decode(minB), max: maxB && decodificador.decode(maxB) };
  }
  if (decimal(tipo)) {
    // Compare 128-bit two's complement words in place; build bigints only for the winners.
    let lo: bigint | undefined;
    let hi: bigint | undefined;
    for (const d of vetor.data) {
      const w = d.values as Uint32Array;
      const semNulos = d.nullCount === 0;
      let iMin = -1;
      let iMax = -1;
      let m3 = 0, m2 = 0, m1 = 0, m0 = 0, M3 = 0, M2 = 0, M1 = 0, M0 = 0;
      for (let i = 0; i < d.length; i++) {
        if (!semNulos && !valido(d, i)) {
          nulos++;
          continue;
        }
        // The current min and max words are kept in locals (signed top word, unsigned rest).
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
      if (iMin < 0) continue;
      const a = lerDecimal(w, (iMin) * 4);
      const b = lerDecimal(w, (iMax) * 4);
      if (lo === undefined || a < lo) lo = a;
      if (hi === undefined || b > hi) hi = b;
    }
    return { nulos, min: lo, max: hi };
  }
  if (tipo === "long" || tipo === "timestamp" || tipo === "timestamp_ntz") {
    // Compare int64 as (signed high, unsigned low) 32-bit halves: BigInt comparisons are slow.
    let lo: bigint | undefined;
    let hi: bigint | undefined;
    for (const d of vetor.data) {
      const v = d.values as BigInt64Array;
      const alto = new Int32Array(v.buffer, v.byteOffset, v.length * 2);
      const baixo = new Uint32Array(v.buffer, v.byteOffset, v.length * 2);
      const semNulos = d.nullCount === 0;
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
      if (iMin < 0) continue;
      if (lo === undefined || v[iMin]! < lo) lo = v[iMin]!;
      if (hi === undefined || v[iMax]! > hi) hi = v[iMax]!;
    }
    return { nulos, min: lo, max: hi };
  }
  const flutuante = tipo === "float" || tipo === "double";
  let nan = false;
  for (const d of vetor.data) {
    const semNulos = d.nullCount === 0;
    if (flutuante && (d.values instanceof Float64Array || d.values instanceof Float32Array)) {
      // Monomorphic loop over the floats; the same order of updates as the generic path below.
      const v = d.values;
      const bm = d.nullBitmap;
      const off = d.offset;
      const checar = !semNulos && bm !== undefined && bm !== null && bm.length > 0;
      let lo = Infinity;
      let hi = -Infinity;
      let visto = false;
      for (let i = 0; i < d.length; i++) {
        if (checar) {
          const j = off + i;
          if (((bm[j >> 3]! >> (j & 7)) & 1) === 0) {
            nulos++;
            continue;
          }
        }
        const x = v[i]!;
        if (x !== x) {
          nan = true;
          continue;
        }
        visto = true;
        if (x < lo) lo = x;
        if (x > hi) hi = x;
      }
      if (visto) {
        if (min === undefined || lo < (min as number)) min = lo;
        if (max === undefined || hi > (max as number)) max = hi;
      }
      continue;
    }
    const ler = leitorDeDado(d);
    if (!decimal(tipo) && (arrow.DataType.isInt(d.type) || arrow.DataType.isFloat(d.type) || arrow.DataType.isDate(d.type) || arrow.DataType.isTimestamp(d.type))) {
      // Fast path over the typed array.
      const v = d.values as unknown as ArrayLike<number | bigint>;
      let lo = min as number | bigint | undefined;
      let hi = max as number | bigint | undefined;
      for (let i = 0; i < d.length; i++) {
        if (!semNulos && !valido(d, i)) {
          nulos++;
          continue;
        }
        const x = v[i]!;
        if (flutuante && Number.isNaN(x)) {
          nan = true;
          continue;
        }
        if (lo === undefined || x < lo) lo = x;
        if (hi === undefined || x > hi) hi = x;
      }
      min = lo;
      max = hi;
      continue;
    }
    for (let i = 0; i < d.length; i++) {
      const k = ler(i);
      if (k === null) {
        nulos++;
        continue;
      }
      if (min === undefined || compararChaves(k, min) < 0) min = k;
      if (max === undefined || compararChaves(k, max) > 0) max = k;
    }
  }
  if (nan) return { nulos };
  return { nulos, min, max };
}

// ---------------------------------------------------------------------------------------------
// Conforming input to the table schema

/** Rows (plain objects) or an Arrow table. */
export type Dados = arrow.Table | Record<string, unknown>[];

/**
 * The input as an Arrow table with exactly the schema's columns, in order, in canonical types.
 * Missing nullable columns become nulls; anything else that does not fit is a pt-BR error.
 */
export function conformar(dados: Dados, esquema: StructType): arrow.Table {
  const nomes = new Set(esquema.fields.map((f) => f.name));
  const colunas: Record<string, arrow.Vector> = {};
  if (Array.isArray(dados)) {
    const n = dados.length;
    for (let i = 0; i < n; i++) {
      const linha = dados[i];
      if (linha === null || typeof linha !== "object" || Array.isArray(linha)) {
        throw new ErroLake(`Linha ${i} inválida: ${mostrar(linha)}. Esperado um objeto { coluna: valor }.`);
      }
      for (const k in linha) {
        if (!nomes.has(k)) {
          throw new ErroLake(
            `A linha ${i} tem a coluna '${k}', que não existe no esquema da tabela. Colunas esperadas: ${[...nomes].join(", ")}.`,
          );
        }
      }
    }
    for (const f of esquema.fields) {
      const tipo = f.type;
      if (typeof tipo !== "string") throw new ErroLake(`Coluna '${f.name}': tipo ${descreverTipo(tipo)} não é suportado pelo lib/lake.`);
      colunas[f.name] = construir(tipo, n, (i) => {
        const v = dados[i]![f.name];
        if (v === null || v === undefined) {
          if (!f.nullable) throw new ErroLake(`A linha ${i} não tem valor para '${f.name}', que não aceita nulos (nullable: false).`);
          return null;
        }
        return paraChave(tipo, v, `linha ${i}, coluna '${f.name}'`);
      });
    }
    return new arrow.Table(colunas);
  }
  if (!(dados instanceof arrow.Table)) {
    throw new ErroLake(`Dados inválidos: ${mostrar(dados)}. Esperado um arrow.Table ou um array de objetos.`);
  }
  for (const f of dados.schema.fields) {
    if (!nomes.has(f.name)) {
      throw new ErroLake(
        `A tabela Arrow tem a coluna '${f.name}', que não existe no esquema da tabela. Colunas esperadas: ${[...nomes].join(", ")}.`,
      );
    }
  }
  const n = dados.numRows;
  for (const f of esquema.fields) {
    const vec = dados.getChild(f.name);
    if (!vec) {
      if (!f.nullable) throw new ErroLake(`Falta a coluna '${f.name}', que não aceita nulos (nullable: false).`);
      colunas[f.name] = construir(f.type, n, () => null);
      continue;
    }
    const coluna = arrowCanonico(vec.type, f.type) ? vec : castar(vec, f.type, f.name);
    if (!f.nullable && coluna.nullCount > 0) {
      throw new ErroLake(`A coluna '${f.name}' tem ${coluna.nullCount} valor(es) nulo(s), mas não aceita nulos (nullable: false).`);
    }
    colunas[f.name] = coluna;
  }
  return new arrow.Table(colunas);
}

const POR_UNIDADE: Record<number, [bigint, bigint]> = {
  [arrow.TimeUnit.SECOND]: [1_000_000n, 1n],
  [arrow.TimeUnit.MILLISECOND]: [1000n, 1n],
  [arrow.TimeUnit.MICROSECOND]: [1n, 1n],
  [arrow.TimeUnit.NANOSECOND]: [1n, 1000n],
};

/** Converts a column of another Arrow type to the canonical type of `tipo`, or explains why not. */
export function castar(vec: arrow.Vector, tipo: DataType, nome: string): arrow.Vector {
  const de = vec.type;
  const falhar = (): never => {
    throw new ErroLake(
      `A coluna '${nome}' tem o tipo Arrow ${String(de)}, incompatível com o tipo Delta ${descreverTipo(tipo)} da tabela. ` +
        `Esperado ${String(tipoArrow(tipo))}.`,
    );
  };
  if (typeof tipo !== "string") return falhar();
  const n = vec.length;
  const destinoTs = tipo === "timestamp" || tipo === "timestamp_ntz";
  if (arrow.DataType.isTimestamp(de) && destinoTs) {
    const [mul, div] = POR_UNIDADE[de.unit]!;
    const ler = leitorCru(vec);
    return construir(tipo, n, (i) => {
      const v = ler(i);
      if (v === null) return null;
      const b = BigInt(v as bigint | number);
      if (div === 1n) return b * mul;
      const q = b / div;
      return b < 0n && b % div !== 0n ? q - 1n : q;
    });
  }
  if (arrow.DataType.isDecimal(de) && decimal(tipo)) {
    const alvo = decimal(tipo)!;
    const ler = leitorCru(vec);
    const dif = alvo.escala - de.scale;
    return construir(tipo, n, (i) => {
      const v = ler(i) as bigint | null;
      if (v === null) return null;
      if (dif >= 0) return v * 10n ** BigInt(dif);
      const f = 10n ** BigInt(-dif);
      if (v % f !== 0n) {
        throw new ErroLake(`A coluna '${nome}' tem valores com mais casas decimais do que ${tipo} permite.`);
      }
      return v / f;
    });
  }
  const aceito =
    ((tipo === "long" || tipo === "integer" || tipo === "short" || tipo === "byte" || tipo === "double" || tipo === "float" || decimal(tipo)) &&
      (arrow.DataType.isInt(de) || arrow.DataType.isFloat(de))) ||
    (tipo === "string" && (arrow.DataType.isUtf8(de) || arrow.DataType.isLargeUtf8(de) || arrow.DataType.isDictionary(de))) ||
    (tipo === "binary" && (arrow.DataType.isBinary(de) || arrow.DataType.isLargeBinary(de))) ||
    (tipo === "date" && (arrow.DataType.isDate(de) || arrow.DataType.isTimestamp(de))) ||
    (destinoTs && arrow.DataType.isDate(de)) ||
    (tipo === "boolean" && arrow.DataType.isBool(de)) ||
    String(de).startsWith("Utf8View") ||
    String(de).startsWith("BinaryView");
  if (!aceito) return falhar();
  return construir(tipo, n, (i) => {
    let v: unknown = vec.get(i);
    if (v === null || v === undefined) return null;
    if ((tipo === "date" || destinoTs) && typeof v === "number") v = new Date(v);
    if (arrow.DataType.isFloat(de) && (tipo === "long" || tipo === "integer" || tipo === "short" || tipo === "byte") && !Number.isInteger(v)) {
      throw new ErroLake(`A coluna '${nome}' tem o valor ${mostrar(v)}, que não é inteiro como o tipo ${tipo} exige.`);
    }
    return paraChave(tipo, v, `coluna '${nome}', linha ${i}`);
  });
}

/** Raw stored values (bigint for 64-bit and decimals) of any fixed-width column. */
function leitorCru(vec: arrow.Vector): (i: number) => number | bigint | null {
  const ler = leitor(vec);
  return ler as (i: number) => number | bigint | null;
}
