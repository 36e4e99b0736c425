// Health of every service of the platform, asked the way a client would: a query, a
// metadata request, an HTTP probe. Used by `npm run stack -- status` and notebook 00.
import { Kafka, logLevel } from "kafkajs";
import pg from "pg";
import { config, type Config, type PgEndpoint } from "./config";

export type ServiceName = "postgres-oltp" | "postgres-dw" | "kafka" | "connect" | "minio" | "jupyter";

export interface Health {
  service: ServiceName;
  /** What the service is for, in the course's words. */
  role: string;
  address: string;
  ok: boolean;
  detail: string;
  ms: number;
}

const TIMEOUT_MS = 3000;

async function timed(service: ServiceName, role: string, address: string, probe: () => Promise<string>): Promise<Health> {
  const started = Date.now();
  try {
    const detail = await probe();
    return { service, role, address, ok: true, detail, ms: Date.now() - started };
  } catch (err) {
    return { service, role, address, ok: false, detail: (err as Error).message || String(err), ms: Date.now() - started };
  }
}

async function fetchJson(url: string, init: RequestInit = {}): Promise<unknown> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!res.ok) throw new Error(`HTTP ${res.status} em ${url}`);
  return res.json();
}

async function postgresVersion(endpoint: PgEndpoint): Promise<string> {
  const client = new pg.Client({ ...endpoint, connectionTimeoutMillis: TIMEOUT_MS });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: string; wal: string }>(
      "SELECT current_setting('server_version') AS v, current_setting('wal_level') AS wal",
    );
    return `PostgreSQL ${rows[0].v}, wal_level=${rows[0].wal}`;
  } finally {
    await client.end();
  }
}

async function kafkaCluster(cfg: Config): Promise<string> {
  const kafka = new Kafka({
    clientId: "liga-sudoers-health",
    brokers: cfg.kafka.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: TIMEOUT_MS,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const cluster = await admin.describeCluster();
    return `${cluster.brokers.length} broker(s), controller ${cluster.controller}, cluster ${cluster.clusterId}`;
  } finally {
    await admin.disconnect();
  }
}

async function connectWorker(cfg: Config): Promise<string> {
  const info = (await fetchJson(`${cfg.connect.url}/`)) as { version: string };
  const plugins = (await fetchJson(`${cfg.connect.url}/connector-plugins`)) as { class: string; version: string }[];
  const debezium = plugins.find((p) => p.class === "io.debezium.connector.postgresql.PostgresConnector");
  if (!debezium) throw new Error("Kafka Connect no ar, mas sem o conector Debezium PostgreSQL no plugin.path");
  return `Kafka Connect ${info.version}, Debezium ${debezium.version}`;
}

async function minioServer(cfg: Config): Promise<string> {
  const res = await fetch(`${cfg.minio.endpoint}/minio/health/ready`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!res.ok) throw new Error(`HTTP ${res.status} em /minio/health/ready`);
  const { Client } = await import("minio");
  const client = new Client({
    endPoint: cfg.minio.host,
    port: cfg.minio.port,
    useSSL: false,
    accessKey: cfg.minio.accessKey,
    secretKey: cfg.minio.secretKey,
  });
  const existing = new Set((await client.listBuckets()).map((b) => b.name));
  const missing = cfg.minio.buckets.filter((b) => !existing.has(b));
  if (missing.length) throw new Error(`MinIO no ar, mas faltam os buckets ${missing.join(", ")}`);
  return `buckets ${cfg.minio.buckets.join(", ")} (privados)`;
}

async function jupyterServer(cfg: Config): Promise<string> {
  const status = (await fetchJson(`${cfg.jupyter.url}/api/status`, {
    headers: { Authorization: `token ${cfg.jupyter.token}` },
  })) as { kernels: number };
  const specs = (await fetchJson(`${cfg.jupyter.url}/api/kernelspecs`, {
    headers: { Authorization: `token ${cfg.jupyter.token}` },
  })) as { kernelspecs: Record<string, unknown> };
  if (!("tslab" in specs.kernelspecs)) throw new Error("JupyterLab no ar, mas sem o kernel tslab registrado");
  return `kernel tslab registrado, ${status.kernels} kernel(s) ativo(s)`;
}

/** Probes that answer for each service, in start order. */
export function probes(cfg: Config = config()): Record<ServiceName, () => Promise<Health>> {
  return {
    "postgres-oltp": () =>
      timed(
        "postgres-oltp",
        "OLTP transacional (3FN), origem do CDC",
        `postgresql://${cfg.oltp.host}:${cfg.oltp.port}/${cfg.oltp.database}`,
        () => postgresVersion(cfg.oltp),
      ),
    "postgres-dw": () =>
      timed("postgres-dw", "Data Warehouse (star schema via dbt)", `postgresql://${cfg.dw.host}:${cfg.dw.port}/${cfg.dw.database}`, () =>
        postgresVersion(cfg.dw),
      ),
    kafka: () => timed("kafka", "log de eventos (KRaft, sem ZooKeeper)", cfg.kafka.brokers.join(","), () => kafkaCluster(cfg)),
    connect: () => timed("connect", "Kafka Connect + Debezium (CDC)", cfg.connect.url, () => connectWorker(cfg)),
    minio: () =>
      timed("minio", "armazenamento S3 do lakehouse", `${cfg.minio.endpoint} (console :${cfg.minio.consolePort})`, () => minioServer(cfg)),
    jupyter: () => timed("jupyter", "JupyterLab com kernel TypeScript", `${cfg.jupyter.url}/lab`, () => jupyterServer(cfg)),
  };
}

/** Health of every service, probed concurrently. */
export async function healthReport(cfg: Config = config()): Promise<Health[]> {
  return Promise.all(Object.values(probes(cfg)).map((probe) => probe()));
}

/** Throws, naming each failing service and why, unless every service is healthy. */
export function exigirTudoNoAr(report: Health[]): void {
  const down = report.filter((h) => !h.ok);
  if (down.length) {
    throw new Error(
      `Serviços fora do ar: ${down.map((h) => `${h.service} (${h.detail})`).join("; ")}. ` +
        "Rode `npm run stack -- up` (ou `docker compose up -d`) e veja `npm run stack -- logs`.",
    );
  }
}

export interface InterfaceWeb {
  servico: string;
  url: string;
  acesso: string;
}

/** The web interfaces a student opens in the browser, with how to log in. */
export function interfacesWeb(cfg: Config = config()): InterfaceWeb[] {
  // Inside a container Jupyter listens on every interface; the browser still reaches it on localhost.
  const jupyter = cfg.jupyter.host === "0.0.0.0" ? `http://localhost:${cfg.jupyter.port}` : cfg.jupyter.url;
  return [
    { servico: "JupyterLab", url: `${jupyter}/lab?token=${cfg.jupyter.token}`, acesso: "token JUPYTER_TOKEN (já na URL)" },
    {
      servico: "Console do MinIO",
      url: `http://${cfg.minio.host}:${cfg.minio.consolePort}`,
      acesso: `${cfg.minio.accessKey} / MINIO_ROOT_PASSWORD`,
    },
    { servico: "Kafka Connect (API REST)", url: `${cfg.connect.url}/connectors`, acesso: "sem autenticação (só localhost)" },
    { servico: "Airflow", url: cfg.airflow.url, acesso: "aula 05 (docker compose ou airflow local)" },
  ];
}
