// The lake interop harness: a Python environment with delta-rs (deltalake) and PySpark + Delta,
// plus the jars Spark needs for Delta and s3a, all cached outside the repository, and
// lakeInterop()/lakeInteropBatch() to run stack/lake_interop.py against the kit's MinIO.
// Tests use it to prove that every Delta table the kit writes reads the same in both engines.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { config, loadEnv } from "../lib/config";
import { cacheDir, capture, tail } from "./proc";
import { copyDependencies } from "./maven";
import { cleanEnv, installLockedVenv, type PythonEnv } from "./python";

export interface LakeEnv extends PythonEnv {
  /** The Delta + s3a jars (delta-spark, delta-storage, hadoop-aws, AWS SDK bundle). */
  jars: string[];
  /** JAVA_HOME handed to PySpark (a Java 17 or 21, what Spark 4.0 runs on). */
  javaHome: string;
  /** stack/lake_interop.py of this clone. */
  script: string;
  versions: { spark: string; delta: string; hadoopAws: string };
}

/** Java releases Spark 4.0 supports. */
const JAVA_OK = [17, 21];
const DEFAULT_JAVA_HOME = "/usr/lib/jvm/java-17-openjdk-amd64";

/** `name==version` of the lock file, or undefined. */
function lockedVersion(lock: string, name: string): string | undefined {
  const line = lock.split("\n").find((l) => l.toLowerCase().startsWith(`${name}==`));
  return line?.split("==")[1]?.trim();
}

/** The jars of stack/java/spark-lake/pom.xml (Delta + s3a), laid out once per versions and pom. */
async function installSparkJars(opts: {
  repoRoot: string;
  dir: string;
  delta: string;
  hadoopAws: string;
  mavenRepo?: string;
}): Promise<string[]> {
  await copyDependencies({
    pom: join(opts.repoRoot, "stack", "java", "spark-lake", "pom.xml"),
    dir: opts.dir,
    version: `Delta ${opts.delta} + hadoop-aws ${opts.hadoopAws}`,
    properties: { "delta.version": opts.delta, "hadoop.aws.version": opts.hadoopAws },
    mavenRepo: opts.mavenRepo,
  });
  return readdirSync(opts.dir)
    .filter((f) => f.endsWith(".jar"))
    .sort()
    .map((f) => join(opts.dir, f));
}

/** A JAVA_HOME whose java is 17 or 21: $JAVA_HOME, else the Debian Java 17, else the java on PATH. */
async function findJavaHome(): Promise<string> {
  const candidates = [process.env.JAVA_HOME, DEFAULT_JAVA_HOME].filter((c): c is string => !!c);
  const probes = [...candidates.map((home) => join(home, "bin", "java")), "java"];
  const seen: string[] = [];
  for (const java of probes) {
    const r = await capture(java, ["-XshowSettings:properties", "-version"]);
    if (r.spawnError || r.code !== 0) continue;
    const spec = /java\.specification\.version = (\S+)/.exec(r.output)?.[1];
    const home = /java\.home = (.+)/.exec(r.output)?.[1]?.trim();
    seen.push(`${java} (Java ${spec ?? "?"})`);
    if (spec && home && JAVA_OK.includes(Number(spec))) return home;
  }
  throw new Error(
    `O Spark ${JAVA_OK.map((v) => `roda no Java ${v}`).join(" ou ")}; não o encontrei ` +
      `(${seen.length ? `achei: ${seen.join(", ")}` : "nenhum java encontrado"}). ` +
      "Instale-o (no Debian: sudo apt-get install openjdk-17-jdk-headless) ou aponte JAVA_HOME para ele.",
  );
}

/**
 * Installs (once; cached under cacheDir) the "lake-venv" virtualenv of stack/python-env/lake and
 * the Spark jars for Delta + s3a, checking that the lock's pyspark/delta-spark are the
 * SPARK_VERSION/DELTA_VERSION of .env (the compose image's versions).
 */
export async function installLakeEnv(opts: { cacheDir: string; repoRoot: string; mavenRepo?: string }): Promise<LakeEnv> {
  const env = loadEnv(opts.repoRoot);
  const versions = { spark: env.SPARK_VERSION ?? "", delta: env.DELTA_VERSION ?? "", hadoopAws: env.HADOOP_AWS_VERSION ?? "" };
  for (const [key, value] of Object.entries({
    SPARK_VERSION: versions.spark,
    DELTA_VERSION: versions.delta,
    HADOOP_AWS_VERSION: versions.hadoopAws,
  })) {
    if (!value) throw new Error(`Variável de configuração ${key} ausente: defina-a em .env (veja .env.example).`);
  }
  const requirementsDir = join(opts.repoRoot, "stack", "python-env", "lake");
  const lock = readFileSync(join(requirementsDir, "requirements.lock.txt"), "utf8");
  const pinned = { pyspark: lockedVersion(lock, "pyspark"), "delta-spark": lockedVersion(lock, "delta-spark") };
  if (pinned.pyspark !== versions.spark || pinned["delta-spark"] !== versions.delta) {
    throw new Error(
      `stack/python-env/lake fixa pyspark ${pinned.pyspark} e delta-spark ${pinned["delta-spark"]}, mas o .env pede ` +
        `SPARK_VERSION=${versions.spark} e DELTA_VERSION=${versions.delta}: atualize os dois juntos (e o lock).`,
    );
  }
  const python = await installLockedVenv({
    cacheDir: opts.cacheDir,
    name: "lake-venv",
    requirementsDir,
    // pyarrow 26 and deltalake 1.6 need 3.10+; PySpark 4.0 supports up to 3.13.
    minPython: [3, 10],
    maxPython: [3, 13],
    what: "do lake (delta-rs e PySpark)",
    announce: "Instalando delta-rs e PySpark (PyPI) para o teste de interoperabilidade do lake; na primeira vez leva alguns minutos…",
  });
  const jars = await installSparkJars({
    repoRoot: opts.repoRoot,
    dir: join(opts.cacheDir, `spark-lake-delta-${versions.delta}-hadoop-aws-${versions.hadoopAws}`, "jars"),
    delta: versions.delta,
    hadoopAws: versions.hadoopAws,
    mavenRepo: opts.mavenRepo,
  });
  return { ...python, jars, javaHome: await findJavaHome(), script: join(opts.repoRoot, "stack", "lake_interop.py"), versions };
}

let installed: Promise<LakeEnv> | undefined;

/** installLakeEnv for this clone and the kit's cache, once per process. */
export function lakeEnv(): Promise<LakeEnv> {
  installed ??= installLakeEnv({ cacheDir: cacheDir(), repoRoot: config().root }).catch((err: unknown) => {
    installed = undefined;
    throw err;
  });
  return installed;
}

/** Environment of lake_interop.py: MinIO from lib/config, Java, the jars; nothing from outer venvs or Sparks. */
export function lakeInteropEnv(lake: LakeEnv): NodeJS.ProcessEnv {
  const { minio } = config();
  const env = cleanEnv();
  for (const key of [
    "SPARK_HOME",
    "SPARK_CONF_DIR",
    "SPARK_DIST_CLASSPATH",
    "PYSPARK_SUBMIT_ARGS",
    "PYSPARK_DRIVER_PYTHON",
    "HADOOP_CONF_DIR",
  ]) {
    delete env[key];
  }
  return {
    ...env,
    MINIO_HOST: minio.host,
    MINIO_PORT: String(minio.port),
    MINIO_ROOT_USER: minio.accessKey,
    MINIO_ROOT_PASSWORD: minio.secretKey,
    JAVA_HOME: lake.javaHome,
    LAKE_SPARK_JARS: lake.jars.join(":"),
    PYSPARK_PYTHON: lake.python,
  };
}

export interface LakeInteropOptions {
  /** Kills the command after this long (default 10 minutes). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 600_000;

async function runInterop(args: string[], input: string | undefined, opts: LakeInteropOptions): Promise<string> {
  const lake = await lakeEnv();
  const r = await capture(lake.python, [lake.script, ...args], {
    env: lakeInteropEnv(lake),
    replaceEnv: true,
    input,
    timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
  if (r.spawnError) throw r.spawnError;
  if (r.code !== 0 || r.timedOut) {
    const why = r.timedOut ? "tempo esgotado" : `código ${r.code ?? r.signal}`;
    throw new Error(`lake_interop ${args.join(" ")} falhou (${why}):\n${tail(r.stderr || r.output, 40)}`);
  }
  return r.stdout;
}

/** Runs one lake_interop.py command (its own Python, and JVM for Spark) and returns its JSON. */
export async function lakeInterop(args: string[], opts: LakeInteropOptions = {}): Promise<unknown> {
  const stdout = (await runInterop(args, undefined, opts)).trim();
  const last = stdout.split("\n").pop() ?? "";
  try {
    return JSON.parse(last) as unknown;
  } catch {
    throw new Error(`lake_interop ${args.join(" ")} não devolveu JSON:\n${tail(stdout, 20)}`);
  }
}

export type LakeBatchResult = { ok: true; result: unknown; seconds: number } | { ok: false; error: string; seconds: number };

/**
 * Runs several commands in one process (one Spark session: its ~5-10 s start and first-query
 * warm-up are paid once). A failed command yields {ok: false, error} and the rest still run.
 */
export async function lakeInteropBatch(
  commands: string[][],
  opts: LakeInteropOptions & { conf?: string[] } = {},
): Promise<LakeBatchResult[]> {
  const head = (opts.conf ?? []).flatMap((c) => ["--conf", c]);
  const input = `${commands.map((c) => JSON.stringify(c)).join("\n")}\n`;
  const lines = (await runInterop([...head, "batch"], input, opts))
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as LakeBatchResult & { done?: boolean });
  const results = lines.filter((l) => !l.done);
  if (results.length !== commands.length) {
    throw new Error(`lake_interop batch devolveu ${results.length} resultados para ${commands.length} comandos`);
  }
  return results;
}
