// Writing data files: split a conformed Arrow table by partition values, write one Parquet file
// per partition (partition columns are not stored in the file, as Spark and delta-rs do), upload
// it under `col=valor/`, and describe it with an add action carrying its stats.
import { randomUUID } from "node:crypto";
import * as arrow from "apache-arrow";
import type { Armazenamento } from "./armazenamento";
import { leitor, selecionar } from "./colunas";
import { estatisticas } from "./estatisticas";
import { codificarParquet } from "./codificador";
import type { Compressao } from "./parquet";
import type { Add, PartitionValues, StructType } from "./protocolo";
import { escaparDiretorio, estatisticaDeChave, jsonComNumeros, serializarParticao } from "./serializacao";
import { type Chave, textoDeChave } from "./tipos";

export interface OpcoesGravacao {
  compressao: Compressao;
  /** false for files that only rearrange existing rows (optimize). */
  dataChange: boolean;
  /** Columns with min/max stats (delta.dataSkippingNumIndexedCols, default 32). */
  colunasIndexadas?: number;
  /** Split a partition into files of at most this many rows. */
  linhasPorArquivo?: number;
}

export interface ArquivosGravados {
  adds: Add[];
  linhas: number;
  bytes: number;
}

/** Groups row indices by partition values (one group with every row when unpartitioned). */
function agrupar(tabela: arrow.Table, esquema: StructType, particoes: string[]): { valores: PartitionValues; indices: number[] }[] {
  const n = tabela.numRows;
  if (particoes.length === 0) return [{ valores: {}, indices: Array.from({ length: n }, (_, i) => i) }];
  const tipos = particoes.map((p) => esquema.fields.find((f) => f.name === p)!.type);
  const leitores = particoes.map((p) => leitor(tabela.getChild(p)!));
  const grupos = new Map<unknown, { chaves: (Chave | null)[]; indices: number[] }>();
  const simples = particoes.length === 1;
  // One 32-bit integer column (date, integer) in one chunk without nulls: equal stored values
  // are the same partition, so a row like the previous one skips the key lookup.
  const unico = simples ? tabela.getChild(particoes[0]!)! : undefined;
  const crus =
    unico && unico.data.length === 1 && unico.nullCount === 0 && unico.data[0]!.values instanceof Int32Array
      ? (unico.data[0]!.values as Int32Array)
      : undefined;
  let anterior: { indices: number[] } | undefined;
  for (let i = 0; i < n; i++) {
    if (crus && anterior && crus[i] === crus[i - 1]) {
      anterior.indices.push(i);
      continue;
    }
    let id: unknown;
    let chaves: (Chave | null)[];
    if (simples) {
      const k = leitores[0]!(i);
      id = k instanceof Uint8Array ? textoDeChave(k) : k;
      chaves = [k];
    } else {
      chaves = leitores.map((l) => l(i));
      id = chaves.map(textoDeChave).join("\u0001");
    }
    let g = grupos.get(id);
    if (!g) {
      g = { chaves, indices: [] };
      grupos.set(id, g);
    }
    g.indices.push(i);
    anterior = g;
  }
  return [...grupos.values()].map((g) => ({
    valores: Object.fromEntries(particoes.map((p, k) => [p, serializarParticao(tipos[k]!, g.chaves[k]!)])),
    indices: g.indices,
  }));
}

/** Stats JSON for a data file, as Spark writes it. */
function statsDoArquivo(t: arrow.Table, esquema: StructType, colunas: string[], indexadas: number): string {
  const minValues: Record<string, unknown> = {};
  const maxValues: Record<string, unknown> = {};
  const nullCount: Record<string, number> = {};
  colunas.slice(0, indexadas).forEach((nome) => {
    const tipo = esquema.fields.find((f) => f.name === nome)!.type;
    const s = estatisticas(t.getChild(nome)!, tipo);
    nullCount[nome] = s.nulos;
    if (s.min !== undefined) {
      const v = estatisticaDeChave(tipo, s.min, true);
      if (v !== undefined) minValues[nome] = v;
    }
    if (s.max !== undefined) {
      const v = estatisticaDeChave(tipo, s.max, false);
      if (v !== undefined) maxValues[nome] = v;
    }
  });
  return jsonComNumeros({ numRecords: t.numRows, minValues, maxValues, nullCount });
}

/** Relative path as add.path wants it: URI-encoded (the Hive %XX escapes become %25XX). */
function codificarCaminho(relativo: string): string {
  return encodeURI(relativo).replace(/[#?]/g, (c) => encodeURIComponent(c));
}

/** Files between "handed to the encoder" and "uploaded", at most (bounds memory). */
const EM_VOO = 6;
/** Tables smaller than this are encoded in-thread: a worker round trip would cost more. */
const LINHAS_PARA_WORKERS = 65_536;

/**
 * Writes `tabela` (conformed to `esquema`, every column present) as data files and returns
 * their add actions. Files are encoded in worker threads (codificador.ts) while this thread
 * slices partitions, computes stats and uploads. On failure the files already uploaded are
 * removed (best effort): nothing was committed.
 */
export async function gravarArquivos(
  arm: Armazenamento,
  esquema: StructType,
  particoes: string[],
  tabela: arrow.Table,
  opcoes: OpcoesGravacao,
): Promise<ArquivosGravados> {
  const adds: Add[] = [];
  let bytesTotal = 0;
  if (tabela.numRows === 0) return { adds, linhas: 0, bytes: 0 };
  const dadosCols = esquema.fields.map((f) => f.name).filter((n) => !particoes.includes(n));
  const schemaArquivo = new arrow.Schema(dadosCols.map((n) => tabela.schema.fields.find((f) => f.name === n)!));
  const limite = opcoes.linhasPorArquivo ?? 2_000_000;
  const paralelo = tabela.numRows >= LINHAS_PARA_WORKERS;
  const emVoo = new Set<Promise<void>>();
  const todas: Promise<void>[] = [];
  const enviados: string[] = [];
  let falha: unknown;
  try {
    for (const grupo of agrupar(tabela, esquema, particoes)) {
      for (let ini = 0; ini < grupo.indices.length; ini += limite) {
        const idx = grupo.indices.slice(ini, ini + limite);
        const inteira = idx.length === tabela.numRows && ini === 0;
        // Rows already grouped by partition (the usual case) are one run: a zero-copy slice of
        // every column, checked once here rather than per column.
        let contiguo = idx.length > 0 && idx[idx.length - 1]! - idx[0]! === idx.length - 1;
        for (let k = 1; k < idx.length && contiguo; k++) contiguo = idx[k] === idx[k - 1]! + 1;
        const vetores: Record<string, arrow.Vector> = {};
        for (const nome of dadosCols) {
          const f = esquema.fields.find((x) => x.name === nome)!;
          const vec = tabela.getChild(nome)!;
          vetores[nome] = inteira ? vec : contiguo ? vec.slice(idx[0]!, idx[idx.length - 1]! + 1) : selecionar(vec, f.type, idx);
        }
        const arquivo = new arrow.Table(
          schemaArquivo,
          new arrow.Table(vetores).batches.map((b) => new arrow.RecordBatch(schemaArquivo, b.data)),
        );
        while (emVoo.size >= EM_VOO) await Promise.race(emVoo);
        if (falha) throw falha;
        // Hand the file to a worker first, then compute its stats here meanwhile.
        const codificado = codificarParquet(arquivo, opcoes.compressao, paralelo);
        const stats = statsDoArquivo(arquivo, esquema, dadosCols, opcoes.colunasIndexadas ?? 32);
        const dir = particoes.map((p) => `${p}=${escaparDiretorio(grupo.valores[p] ?? null)}/`).join("");
        const sufixo = opcoes.compressao === "uncompressed" ? "" : `.${opcoes.compressao}`;
        const posicao = todas.length;
        const relativo = `${dir}part-${String(posicao).padStart(5, "0")}-${randomUUID()}.c000${sufixo}.parquet`;
        const valores = grupo.valores;
        const tarefa = codificado
          .then(async ({ bytes, sha256 }) => {
            await arm.gravar(relativo, bytes, sha256);
            enviados.push(relativo);
            bytesTotal += bytes.length;
            adds[posicao] = {
              path: codificarCaminho(relativo),
              partitionValues: valores,
              size: bytes.length,
              modificationTime: Date.now(),
              dataChange: opcoes.dataChange,
              stats,
            };
          })
          .catch((err: unknown) => {
            falha ??= err;
          })
          .finally(() => emVoo.delete(tarefa));
        emVoo.add(tarefa);
        todas.push(tarefa);
      }
    }
    await Promise.all(todas);
    if (falha) throw falha;
    return { adds, linhas: tabela.numRows, bytes: bytesTotal };
  } catch (err) {
    await Promise.allSettled(todas);
    await arm.remover(enviados).catch(() => undefined);
    throw err;
  }
}
