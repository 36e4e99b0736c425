// Shared by the Delta interop tests: the describe shape stack/lake_interop.py prints (row
// count, schema, files, a checksum per column), the same checksum recomputed in TypeScript over
// what lib/lake reads, and the helpers to compare engines on the fields they must agree on.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as arrow from "apache-arrow";
import type { TabelaDelta } from "../../lib/lake/index";
import type { LakeBatchResult } from "../../stack/lake-env";

/** The columns of the tables both writers (lake_interop.py's generator and the tests) produce. */
export const COLUNAS = ["id", "nome", "valor", "qtd", "taxa", "dia", "criado_em", "ativo", "obs"];
export const colunaArgs = COLUNAS.flatMap((c) => ["--column", c]);

// The checksum of stack/lake_interop.py, recomputed here: per value, the first 8 bytes (big
// endian) of SHA-256 over its canonical text, summed mod 2^64; the null and non-null counts;
// for numbers the exact sum (Python's math.fsum for doubles). Canonical text: integers, dates
// (days since the epoch) and timestamps (µs since the epoch, UTC) in decimal; decimals with
// exactly `scale` fraction digits; doubles as Python's repr(); booleans true/false; strings as is.

export interface Checksum {
  hash: string;
  nulls: number;
  count: number;
  sum?: string;
}
export interface Descricao {
  version: number;
  rows: number;
  schema: { name: string; type: string; nullable: boolean }[];
  partitionColumns: string[];
  files: number;
  checksums: Record<string, Checksum>;
}
/** A canonical value: bigint for long / decimal (unscaled) / timestamp (µs), days for date. */
export type Valor = bigint | number | string | boolean | null;

/** Python's repr() of a float: shortest round-trip digits, exponent below 1e-4 or from 1e16 on. */
function reprPython(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mantissa, expoente] = x.toExponential().split("e") as [string, string];
  const negativo = mantissa.startsWith("-");
  const digitos = mantissa.replace("-", "").replace(".", "");
  const exp = Number(expoente);
  const ponto = exp + 1; // digits before the decimal point
  let corpo: string;
  if (ponto > 16 || ponto < -3) {
    const resto = digitos.length > 1 ? `.${digitos.slice(1)}` : "";
    corpo = `${digitos[0]}${resto}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  } else if (ponto <= 0) corpo = `0.${"0".repeat(-ponto)}${digitos}`;
  else if (ponto >= digitos.length) corpo = `${digitos}${"0".repeat(ponto - digitos.length)}.0`;
  else corpo = `${digitos.slice(0, ponto)}.${digitos.slice(ponto)}`;
  return (negativo ? "-" : "") + corpo;
}

/** Correctly rounded sum of doubles (Shewchuk's partials, as Python's math.fsum). */
function fsum(valores: number[]): number {
  const parciais: number[] = [];
  for (let x of valores) {
    let i = 0;
    for (let y of parciais) {
      if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
      const alto = x + y;
      const baixo = y - (alto - x);
      if (baixo !== 0) parciais[i++] = baixo;
      x = alto;
    }
    parciais.length = i;
    parciais.push(x);
  }
  let n = parciais.length;
  if (n === 0) return 0;
  let alto = parciais[--n]!;
  let baixo = 0;
  while (n > 0) {
    const x = alto;
    const y = parciais[--n]!;
    alto = x + y;
    baixo = y - (alto - x);
    if (baixo !== 0) break;
  }
  // Round half to even across the remaining partials.
  if (n > 0 && ((baixo < 0 && parciais[n - 1]! < 0) || (baixo > 0 && parciais[n - 1]! > 0))) {
    const y = baixo * 2;
    const x = alto + y;
    if (y === x - alto) alto = x;
  }
  return alto;
}

export function textoDecimal(u: bigint, escala: number): string {
  const s = (u < 0n ? -u : u).toString().padStart(escala + 1, "0");
  const corpo = escala === 0 ? s : `${s.slice(0, -escala)}.${s.slice(-escala)}`;
  return (u < 0n ? "-" : "") + corpo;
}

const INTEIROS = new Set(["byte", "short", "integer", "long"]);

export function checksum(tipo: string, valores: Valor[]): Checksum {
  const escala = tipo.startsWith("decimal(") ? Number(/,(\d+)\)$/.exec(tipo)![1]) : 0;
  const texto = (v: Exclude<Valor, null>): string => {
    if (tipo.startsWith("decimal(")) return textoDecimal(v as bigint, escala);
    if (tipo === "double" || tipo === "float") return reprPython(v as number);
    if (tipo === "boolean") return v ? "true" : "false";
    return String(v);
  };
  let acc = 0n;
  let nulos = 0;
  const presentes: Exclude<Valor, null>[] = [];
  for (const v of valores) {
    if (v === null) {
      nulos++;
      continue;
    }
    presentes.push(v);
    acc = (acc + createHash("sha256").update(texto(v), "utf8").digest().readBigUInt64BE(0)) % (1n << 64n);
  }
  const out: Checksum = { hash: acc.toString(16).padStart(16, "0"), nulls: nulos, count: presentes.length };
  if (INTEIROS.has(tipo)) out.sum = presentes.reduce<bigint>((s, v) => s + BigInt(v as number | bigint), 0n).toString();
  else if (tipo.startsWith("decimal("))
    out.sum = textoDecimal(
      presentes.reduce<bigint>((s, v) => s + (v as bigint), 0n),
      escala,
    );
  else if (tipo === "double" || tipo === "float") out.sum = reprPython(fsum(presentes as number[]));
  return out;
}

/** Canonical values of an Arrow column as lib/lake returns it (read straight from the buffers). */
function valoresDaColuna(vetor: arrow.Vector, tipo: string): Valor[] {
  const saida: Valor[] = [];
  for (const dado of vetor.data) {
    const v = arrow.makeVector(dado);
    for (let i = 0; i < dado.length; i++) {
      if (!v.isValid(i)) saida.push(null);
      else if (tipo === "timestamp") saida.push((dado.values as BigInt64Array)[i]!);
      else if (tipo === "date") saida.push((v.get(i) as number) / 86_400_000);
      else if (tipo.startsWith("decimal(")) saida.push(BigInt(String(v.get(i))));
      else saida.push(v.get(i) as Valor);
    }
  }
  return saida;
}

/** What lib/lake reads at a version, in describe's shape. */
export async function descreverKit(t: TabelaDelta, versao?: number): Promise<Descricao> {
  const inst = await t.instantaneo(versao === undefined ? {} : { versao });
  const { tabela } = await t.ler({ versao: inst.versao });
  const schema = inst.esquema.fields.map((f) => ({ name: f.name, type: String(f.type), nullable: f.nullable }));
  const checksums: Record<string, Checksum> = {};
  for (const c of COLUNAS) {
    const tipo = schema.find((f) => f.name === c)!.type;
    checksums[c] = checksum(tipo, valoresDaColuna(tabela.getChild(c)!, tipo));
  }
  return {
    version: inst.versao,
    rows: tabela.numRows,
    schema,
    partitionColumns: inst.metadata.partitionColumns,
    files: inst.arquivos.size,
    checksums,
  };
}

/** The fields every reader must agree on (drops engine names, timings, the first-column alias). */
export function comparavel(d: Descricao): Descricao {
  return {
    version: d.version,
    rows: d.rows,
    schema: d.schema,
    partitionColumns: d.partitionColumns,
    files: d.files,
    checksums: d.checksums,
  };
}

export function resultado(r: LakeBatchResult | undefined, oque: string): unknown {
  assert.ok(r, `${oque}: no result`);
  assert.ok(r.ok, `${oque} failed: ${r.ok ? "" : r.error}`);
  return r.result;
}
