// Runs the lakehouse's Spark job (delta_lake/consultas_lakehouse.py) natively: spark-submit of
// the lake venv's PySpark, with the Delta + s3a jars of stack/lake-env.ts and the Spark
// configuration of delta_lake/ (SPARK_CONF_DIR) — the same file the compose `spark` service
// bakes in. One JVM per run: ~10 s of start-up before the first query.
import { dirname, join } from "node:path";
import { config } from "../lib/config";
import type { ResultadoConsultas } from "../lib/lakehouse/consultas";
import { lakeEnv, lakeInteropEnv } from "./lake-env";
import { capture, tail } from "./proc";

export interface OpcoesJobSpark {
  /** Prefix inside each bucket (default "": the student's layers). */
  raiz?: string;
  /** Spark's driver memory (default 2g; in local mode it is all the memory Spark gets). */
  memoria?: string;
  /** Threads of the local Spark (default 2). */
  nucleos?: number;
  /** Kills the job after this long (default 10 minutes). */
  timeoutMs?: number;
}

export interface ResultadoJobSpark {
  /** The job's JSON (the same shape as consultasDoLakehouse). */
  resultado: ResultadoConsultas;
  /** The pt-BR report the job printed before the JSON. */
  relatorio: string;
  /** Wall-clock seconds of the whole run (JVM start included). */
  segundos: number;
}

/** delta_lake/consultas_lakehouse.py of this clone. */
export function scriptDoJob(): string {
  return join(config().root, "delta_lake", "consultas_lakehouse.py");
}

export async function rodarJobSpark(opcoes: OpcoesJobSpark = {}): Promise<ResultadoJobSpark> {
  const lake = await lakeEnv();
  const { root, minio } = config();
  const base = lakeInteropEnv(lake);
  const env: NodeJS.ProcessEnv = {
    ...base,
    // spark-submit and find-spark-home of the venv's PySpark, and its python for the job.
    PATH: [dirname(lake.python), base.PATH].filter(Boolean).join(":"),
    PYSPARK_DRIVER_PYTHON: lake.python,
    SPARK_CONF_DIR: join(root, "delta_lake"),
    // Appended after Spark's own jars (see stack/lake_interop.py: no copying of the ~560 MB SDK
    // bundle at every start, and its slf4j 1.x cannot shadow Spark's).
    SPARK_DIST_CLASSPATH: lake.jars.join(":"),
    LAKE_BUCKETS: minio.buckets.join(","),
  };
  const args = [
    "--master",
    `local[${opcoes.nucleos ?? 2}]`,
    "--driver-memory",
    opcoes.memoria ?? "2g",
    // C1-only JIT and the serial collector start faster on two cores for a job of seconds.
    "--driver-java-options",
    "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
    "--conf",
    "spark.ui.enabled=false",
    "--conf",
    "spark.ui.showConsoleProgress=false",
    scriptDoJob(),
    "--prefixo",
    opcoes.raiz ?? "",
    "--saida",
    "json",
  ];
  const inicio = Date.now();
  const r = await capture(lake.bin("spark-submit"), args, { cwd: root, env, replaceEnv: true, timeoutMs: opcoes.timeoutMs ?? 600_000 });
  const segundos = (Date.now() - inicio) / 1000;
  if (r.spawnError) throw r.spawnError;
  if (r.code !== 0 || r.timedOut) {
    // Exit 2: a problem the student can fix, explained in one line by the job (spark-submit
    // merges the Python process's stderr into its stdout).
    const uso = r.output.split("\n").find((l) => l.startsWith("consultas_lakehouse: "));
    if (r.code === 2 && uso) throw new Error(uso.slice("consultas_lakehouse: ".length));
    const why = r.timedOut ? "tempo esgotado" : `código ${r.code ?? r.signal}`;
    throw new Error(`O job Spark (delta_lake/consultas_lakehouse.py) falhou (${why}):\n${tail(r.output, 40)}`);
  }
  // The JSON is the last line the job printed (searched from the end: a late warning of the
  // Python process would land on stdout too).
  const linhas = r.stdout.trimEnd().split("\n");
  let j = linhas.length - 1;
  while (j >= 0 && !linhas[j]!.startsWith("{")) j--;
  let resultado: ResultadoConsultas;
  try {
    resultado = JSON.parse(linhas[j] ?? "") as ResultadoConsultas;
  } catch {
    throw new Error(`O job Spark não terminou com o JSON dos resultados:\n${tail(r.stdout, 20)}`);
  }
  return { resultado, relatorio: linhas.slice(0, j).join("\n"), segundos };
}
