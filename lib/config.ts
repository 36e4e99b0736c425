// The one configuration source: every endpoint, credential and version the kit uses.
// Defaults live in .env.example (also what docker compose interpolates); .env and the
// process environment override them, in that order.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parse } from "dotenv";

export type Env = Record<string, string>;

/** The repository root: $LIGA_SUDOERS_HOME, or the nearest folder above cwd holding .env.example. */
export function repoRoot(start: string = process.cwd()): string {
  const fromEnv = process.env.LIGA_SUDOERS_HOME;
  if (fromEnv) return resolve(fromEnv);
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, ".env.example")) && existsSync(join(dir, "package.json"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(
        `Não encontrei a raiz do kit (.env.example) acima de ${start}. ` +
          "Rode o comando dentro do repositório ou defina LIGA_SUDOERS_HOME.",
      );
    }
    dir = parent;
  }
}

/** Merged variables: .env.example < .env < process.env. */
export function loadEnv(root: string = repoRoot(), environment: NodeJS.ProcessEnv = process.env): Env {
  const read = (file: string): Env => (existsSync(file) ? parse(readFileSync(file)) : {});
  const merged: Env = { ...read(join(root, ".env.example")), ...read(join(root, ".env")) };
  for (const key of Object.keys(merged)) {
    const override = environment[key];
    if (override !== undefined && override !== "") merged[key] = override;
  }
  return merged;
}

export interface PgEndpoint {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

export interface Config {
  root: string;
  versions: { postgres: string; kafka: string; debezium: string; minio: string };
  oltp: PgEndpoint;
  dw: PgEndpoint;
  kafka: { host: string; port: number; controllerPort: number; brokers: string[] };
  connect: { host: string; port: number; url: string; topicPrefix: string };
  /** Debezium's least-privilege replication user on the OLTP. */
  cdc: { user: string; password: string };
  /** The DW's read-only user on the OLTP, behind postgres_fdw (SELECT on the six tables + the gabarito). */
  fdw: { user: string; password: string };
  minio: {
    host: string;
    port: number;
    consolePort: number;
    endpoint: string;
    accessKey: string;
    secretKey: string;
    buckets: string[];
  };
  airflow: { port: number; url: string };
  /** The lakehouse (lib/lakehouse): secret of the keyed hash that pseudonymizes personal data. */
  lake: { segredoPseudonimo: string };
  jupyter: { host: string; port: number; token: string; url: string };
}

function required(env: Env, key: string): string {
  const value = env[key];
  if (value === undefined || value === "") {
    throw new Error(`Variável de configuração ${key} ausente: defina-a em .env ou no ambiente (veja .env.example).`);
  }
  return value;
}

function port(env: Env, key: string): number {
  const raw = required(env, key);
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new Error(`${key}=${raw} não é uma porta válida: esperado um inteiro entre 1 e 65535.`);
  }
  return value;
}

export function buildConfig(env: Env, root: string): Config {
  const pg = (prefix: "OLTP" | "DW"): PgEndpoint => ({
    host: required(env, `${prefix}_HOST`),
    port: port(env, `${prefix}_PORT`),
    database: required(env, `${prefix}_DB`),
    user: required(env, "POSTGRES_USER"),
    password: required(env, "POSTGRES_PASSWORD"),
  });
  const kafkaHost = required(env, "KAFKA_HOST");
  const kafkaPort = port(env, "KAFKA_PORT");
  const connectHost = required(env, "CONNECT_HOST");
  const connectPort = port(env, "CONNECT_PORT");
  const minioHost = required(env, "MINIO_HOST");
  const minioPort = port(env, "MINIO_PORT");
  const jupyterHost = required(env, "JUPYTER_HOST");
  const jupyterPort = port(env, "JUPYTER_PORT");
  const airflowPort = port(env, "AIRFLOW_PORT");
  return {
    root,
    versions: {
      postgres: required(env, "POSTGRES_VERSION"),
      kafka: required(env, "KAFKA_VERSION"),
      debezium: required(env, "DEBEZIUM_VERSION"),
      minio: required(env, "MINIO_VERSION"),
    },
    oltp: pg("OLTP"),
    dw: pg("DW"),
    kafka: {
      host: kafkaHost,
      port: kafkaPort,
      controllerPort: port(env, "KAFKA_CONTROLLER_PORT"),
      brokers: [`${kafkaHost}:${kafkaPort}`],
    },
    connect: {
      host: connectHost,
      port: connectPort,
      url: `http://${connectHost}:${connectPort}`,
      topicPrefix: required(env, "CDC_TOPIC_PREFIX"),
    },
    cdc: { user: required(env, "CDC_USER"), password: required(env, "CDC_PASSWORD") },
    fdw: { user: required(env, "FDW_USER"), password: required(env, "FDW_PASSWORD") },
    minio: {
      host: minioHost,
      port: minioPort,
      consolePort: port(env, "MINIO_CONSOLE_PORT"),
      endpoint: `http://${minioHost}:${minioPort}`,
      accessKey: required(env, "MINIO_ROOT_USER"),
      secretKey: required(env, "MINIO_ROOT_PASSWORD"),
      buckets: required(env, "LAKE_BUCKETS")
        .split(",")
        .map((b) => b.trim())
        .filter(Boolean),
    },
    airflow: { port: airflowPort, url: `http://localhost:${airflowPort}` },
    lake: { segredoPseudonimo: required(env, "LAKE_PSEUDONIMO_SEGREDO") },
    jupyter: {
      host: jupyterHost,
      port: jupyterPort,
      token: required(env, "JUPYTER_TOKEN"),
      url: `http://${jupyterHost}:${jupyterPort}`,
    },
  };
}

let cached: Config | undefined;

/** The kit's configuration, read once per process. */
export function config(): Config {
  if (!cached) {
    const root = repoRoot();
    cached = buildConfig(loadEnv(root), root);
  }
  return cached;
}
