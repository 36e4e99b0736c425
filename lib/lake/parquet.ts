// Parquet in and out through parquet-wasm (the Rust arrow/parquet crates compiled to
// WebAssembly), with Arrow IPC as the bridge to apache-arrow in JavaScript. The Rust writer
// stores what Spark and delta-rs expect: int64 timestamps in microseconds (UTC), decimals as
// int32/int64/fixed bytes by precision, dates as int32, UTF-8 strings.
import * as arrow from "apache-arrow";
import * as pw from "parquet-wasm";
import { ErroLake } from "./protocolo";

export type Compressao = "snappy" | "zstd" | "uncompressed";

const CODECS: Record<Compressao, pw.Compression> = {
  snappy: pw.Compression.SNAPPY,
  zstd: pw.Compression.ZSTD,
  uncompressed: pw.Compression.UNCOMPRESSED,
};

/** Reads the table property delta.parquet.compression.codec; snappy when absent (what Spark writes). */
export function compressaoDaTabela(configuracao: Record<string, string>): Compressao {
  const c = (configuracao["delta.parquet.compression.codec"] ?? "snappy").toLowerCase();
  if (c === "none") return "uncompressed";
  if (c in CODECS) return c as Compressao;
  throw new ErroLake(`Codec de compressão não suportado: delta.parquet.compression.codec=${c}. Esperado snappy, zstd ou uncompressed.`);
}

/**
 * The writer settings for a table, as plain data: the worker pool (codificador.ts) builds the
 * very same WriterProperties from it, so files are identical whichever thread encodes them.
 */
export interface PlanoParquet {
  codec: number;
  criadoPor: string;
  linhasPorGrupo: number;
  /** Columns with dictionary encoding. */
  dicionario: string[];
}

export function planoParquet(schema: arrow.Schema, compressao: Compressao = "snappy"): PlanoParquet {
  // Dictionary encoding only where it pays (text, usually few distinct values): on numeric
  // columns it doubled the encoding time for little gain. Chunk-level stats, not per page.
  return {
    codec: CODECS[compressao],
    criadoPor: "liga-sudoers lib/lake (parquet-wasm)",
    linhasPorGrupo: 1 << 20,
    dicionario: schema.fields.filter((f) => arrow.DataType.isUtf8(f.type) || arrow.DataType.isBinary(f.type)).map((f) => f.name),
  };
}

/** Encodes Arrow IPC stream bytes as Parquet; keep in step with the worker code in codificador.ts. */
export function gravarParquetIPC(ipc: Uint8Array, plano: PlanoParquet): Uint8Array {
  const wasm = pw.Table.fromIPCStream(ipc);
  let props = new pw.WriterPropertiesBuilder()
    .setCompression(plano.codec as pw.Compression)
    .setCreatedBy(plano.criadoPor)
    .setMaxRowGroupSize(plano.linhasPorGrupo)
    .setDictionaryEnabled(false)
    .setStatisticsEnabled(pw.EnabledStatistics.Chunk);
  for (const nome of plano.dicionario) props = props.setColumnDictionaryEnabled(nome, true);
  return pw.writeParquet(wasm, props.build());
}

export function gravarParquet(tabela: arrow.Table, compressao: Compressao = "snappy"): Uint8Array {
  return gravarParquetIPC(arrow.tableToIPC(tabela, "stream"), planoParquet(tabela.schema, compressao));
}

/** Reads a Parquet file; `colunas` limits the columns read (only those present in the file). */
export function lerParquet(bytes: Uint8Array, colunas?: string[]): arrow.Table {
  let wasm: pw.Table;
  try {
    wasm = pw.readParquet(bytes, { batchSize: 1 << 16, ...(colunas ? { columns: colunas } : {}) });
  } catch (err) {
    throw new ErroLake(`Não consegui ler o arquivo Parquet (${bytes.length} bytes): ${String(err)}`);
  }
  return arrow.tableFromIPC(wasm.intoIPCStream());
}

/** Column names stored in a Parquet file (top level). */
export function colunasDoParquet(bytes: Uint8Array): string[] {
  const s = pw.readSchema(bytes);
  const t = arrow.tableFromIPC(s.intoIPCStream());
  return t.schema.fields.map((f) => f.name);
}
