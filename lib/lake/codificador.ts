// Parquet encoding off the main thread: a small pool of worker_threads, each with its own
// parquet-wasm instance, turns Arrow IPC bytes into Parquet bytes while the main thread
// computes stats and uploads. The worker is plain CommonJS passed as a string (eval), so it
// needs no loader and works the same when lib files run under tsx (ESM) or tslab (CommonJS).
// Anything wrong with workers (none available, one crashed) falls back to in-thread encoding.
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import * as arrow from "apache-arrow";
import { type Compressao, gravarParquetIPC, type PlanoParquet, planoParquet } from "./parquet";

// Must build the same WriterProperties as gravarParquetIPC in parquet.ts.
const CODIGO_WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const pw = require(workerData.parquetWasm);
parentPort.on("message", (m) => {
  try {
    const p = m.plano;
    let props = new pw.WriterPropertiesBuilder()
      .setCompression(p.codec)
      .setCreatedBy(p.criadoPor)
      .setMaxRowGroupSize(p.linhasPorGrupo)
      .setDictionaryEnabled(false)
      .setStatisticsEnabled(pw.EnabledStatistics.Chunk);
    for (const nome of p.dicionario) props = props.setColumnDictionaryEnabled(nome, true);
    const bytes = pw.writeParquet(pw.Table.fromIPCStream(m.ipc), props.build());
    // The payload hash S3 signing needs, computed here rather than on the main thread.
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    parentPort.postMessage({ id: m.id, bytes, sha256 }, [bytes.buffer]);
  } catch (err) {
    parentPort.postMessage({ id: m.id, erro: String((err && err.stack) || err) });
  }
});
`;

export interface Codificado {
  bytes: Uint8Array;
  /** Hex SHA-256 of bytes, when a worker computed it. */
  sha256?: string;
}

interface Pendente {
  resolver: (c: Codificado) => void;
  rejeitar: (e: unknown) => void;
  /** Kept to encode here should the worker die (its IPC bytes were transferred). */
  tabela: arrow.Table;
  plano: PlanoParquet;
}

interface Trabalhador {
  worker: Worker;
  pendentes: Map<number, Pendente>;
}

let pool: Trabalhador[] | undefined;
let indisponivel = false;
let proximoId = 0;

/** Where parquet-wasm's Node (CommonJS) build lives, resolved from this file or the cwd. */
function caminhoParquetWasm(): string {
  const base = typeof __filename === "string" ? __filename : join(process.cwd(), "index.js");
  return createRequire(base).resolve("parquet-wasm");
}

function criarPool(): Trabalhador[] | undefined {
  if (indisponivel) return undefined;
  if (pool) return pool;
  try {
    const n = Math.min(2, availableParallelism());
    if (n < 2) throw new Error("um só núcleo");
    const parquetWasm = caminhoParquetWasm();
    pool = [];
    for (let i = 0; i < n; i++) {
      // No execArgv: the worker is plain JavaScript and needs no TypeScript loader.
      const worker = new Worker(CODIGO_WORKER, { eval: true, execArgv: [], workerData: { parquetWasm } });
      const t: Trabalhador = { worker, pendentes: new Map() };
      worker.on("message", (m: { id: number; bytes?: Uint8Array; sha256?: string; erro?: string }) => {
        const p = t.pendentes.get(m.id);
        if (!p) return;
        t.pendentes.delete(m.id);
        if (t.pendentes.size === 0) worker.unref();
        if (m.bytes) p.resolver({ bytes: m.bytes, sha256: m.sha256 });
        else p.rejeitar(new Error(m.erro));
      });
      const falhar = () => {
        // A broken pool is dropped for good; its pending files are encoded here instead.
        indisponivel = true;
        pool = undefined;
        const resto = [...t.pendentes.values()];
        t.pendentes.clear();
        for (const p of resto) {
          try {
            p.resolver({ bytes: gravarParquetIPC(arrow.tableToIPC(p.tabela, "stream"), p.plano) });
          } catch (err) {
            p.rejeitar(err);
          }
        }
      };
      worker.on("error", falhar);
      worker.on("exit", falhar);
      // After the listeners (a "message" listener refs the port again): an idle pool never
      // keeps the process alive.
      worker.unref();
      pool.push(t);
    }
    return pool;
  } catch {
    indisponivel = true;
    pool = undefined;
    return undefined;
  }
}

/**
 * Encodes `tabela` as Parquet, in a worker when `paralelo` (and workers work), otherwise here.
 * Same bytes either way.
 */
export function codificarParquet(tabela: arrow.Table, compressao: Compressao, paralelo: boolean): Promise<Codificado> {
  let ipc = arrow.tableToIPC(tabela, "stream");
  // The IPC bytes are transferred (not copied): they must own their whole buffer.
  if (paralelo && (ipc.byteOffset !== 0 || ipc.byteLength !== ipc.buffer.byteLength)) ipc = ipc.slice();
  const plano = planoParquet(tabela.schema, compressao);
  const p = paralelo ? criarPool() : undefined;
  if (!p) {
    try {
      return Promise.resolve({ bytes: gravarParquetIPC(ipc, plano) });
    } catch (err) {
      return Promise.reject(err);
    }
  }
  // The least busy worker takes it.
  const t = p.reduce((a, b) => (b.pendentes.size < a.pendentes.size ? b : a));
  const id = proximoId++;
  return new Promise<Codificado>((resolver, rejeitar) => {
    t.pendentes.set(id, { resolver, rejeitar, tabela, plano });
    t.worker.ref();
    t.worker.postMessage({ id, ipc, plano }, [ipc.buffer as ArrayBuffer]);
  });
}
