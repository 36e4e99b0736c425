// The native stack's services in start order: how each is installed, started and stopped.
import { join } from "node:path";
import type { Config } from "../lib/config";
import { applySqlDir, withClient } from "../lib/db";
import { probes, type Health, type ServiceName } from "../lib/health";
import { installAirflow } from "./airflow";
import { installKafka, kafkaCommands } from "./kafka";
import { installLakeEnv } from "./lake-env";
import { ensureBuckets, installMinio, minioCommand } from "./minio";
import { installPostgres, startCluster, stopCluster, type ClusterSpec } from "./postgres";
import { cacheDir, logFile, runningPid, startDetached, stopByPid, waitUntil, type StackDirs } from "./proc";
import { installPython, installTslabKernel, jupyterLabCommand } from "./python";

export const SERVICES = ["postgres-oltp", "postgres-dw", "kafka", "connect", "minio", "jupyter"] as const satisfies readonly ServiceName[];

function clusters(cfg: Config): Record<"postgres-oltp" | "postgres-dw", ClusterSpec> {
  return {
    // Logical decoding for Debezium (pgoutput), with room for several slots.
    "postgres-oltp": {
      service: "postgres-oltp",
      endpoint: cfg.oltp,
      settings: { wal_level: "logical", max_replication_slots: 10, max_wal_senders: 10 },
    },
    "postgres-dw": { service: "postgres-dw", endpoint: cfg.dw, settings: {} },
  };
}

interface Installed {
  kafka: Awaited<ReturnType<typeof installKafka>>;
  minio: string;
  python: Awaited<ReturnType<typeof installPython>>;
  /** Installed for `airflow dags test` (npm run airflow, cli/airflow.ts); no Airflow service runs in `up`. */
  airflow: Awaited<ReturnType<typeof installAirflow>>;
  jupyterPath: string;
}

/** Installs whatever is missing; every step is cached outside the repository. */
export async function installAll(cfg: Config): Promise<Installed> {
  const cache = cacheDir();
  // PostGIS for the DW's location rule (geo.uf_do_geohash), as the compose route's postgis image.
  await installPostgres(cfg.versions.postgres, [`postgresql-${cfg.versions.postgres}-postgis-3`]);
  // Network- and compiler-bound installs overlap well even on two cores.
  const [kafka, minio, python, airflow] = await Promise.all([
    installKafka({ cacheDir: cache, kafkaVersion: cfg.versions.kafka, debeziumVersion: cfg.versions.debezium, repoRoot: cfg.root }),
    installMinio({ cacheDir: cache, version: cfg.versions.minio }),
    installPython({ cacheDir: cache, repoRoot: cfg.root }),
    installAirflow({ cacheDir: cache, repoRoot: cfg.root }),
  ]);
  const { jupyterPath } = await installTslabKernel({ cacheDir: cache, repoRoot: cfg.root, python: python.python });
  // After Kafka's jars: one Maven writes to ~/.m2 at a time.
  await installLakeEnv({ cacheDir: cache, repoRoot: cfg.root });
  return { kafka, minio, python, airflow, jupyterPath };
}

async function healthy(cfg: Config, service: ServiceName): Promise<boolean> {
  return (await probes(cfg)[service]()).ok;
}

async function startService(cfg: Config, dirs: StackDirs, installed: Installed, service: ServiceName): Promise<void> {
  const log = logFile(dirs, service);
  const waitHealthy = (timeoutMs: number) => waitUntil(() => healthy(cfg, service), timeoutMs, service, log);
  // Started earlier and still warming up: wait for it rather than start a second copy.
  if (runningPid(dirs, service) !== undefined) return waitHealthy(120_000);
  switch (service) {
    case "postgres-oltp":
    case "postgres-dw": {
      const spec = clusters(cfg)[service];
      await startCluster(cfg.versions.postgres, dirs, spec);
      if (service === "postgres-oltp") {
        // What the postgres image does on first start with /docker-entrypoint-initdb.d.
        await withClient(cfg.oltp, (client) => applySqlDir(client, join(cfg.root, "postgresql-init")));
      } else {
        // What the postgis image does on first start; the rest of the DW is set up by lib/dw.ts.
        await withClient(cfg.dw, (client) => client.query("CREATE EXTENSION IF NOT EXISTS postgis"));
      }
      return waitHealthy(30_000);
    }
    case "kafka":
    case "connect": {
      const commands = kafkaCommands({ cfg, dirs, ...installed.kafka });
      if (service === "kafka") await commands.format();
      startDetached(dirs, service, service === "kafka" ? commands.broker : commands.connect);
      return waitHealthy(service === "kafka" ? 60_000 : 120_000);
    }
    case "minio": {
      startDetached(
        dirs,
        service,
        minioCommand({
          binary: installed.minio,
          dataDir: join(dirs.data, "minio"),
          host: cfg.minio.host,
          port: cfg.minio.port,
          consolePort: cfg.minio.consolePort,
          rootUser: cfg.minio.accessKey,
          rootPassword: cfg.minio.secretKey,
        }),
      );
      await waitUntil(async () => (await fetch(`${cfg.minio.endpoint}/minio/health/ready`)).ok, 30_000, "minio", log);
      await ensureBuckets({
        host: cfg.minio.host,
        port: cfg.minio.port,
        accessKey: cfg.minio.accessKey,
        secretKey: cfg.minio.secretKey,
        buckets: cfg.minio.buckets,
      });
      return waitHealthy(15_000);
    }
    case "jupyter": {
      startDetached(
        dirs,
        service,
        jupyterLabCommand({
          venv: installed.python.venv,
          repoRoot: cfg.root,
          host: cfg.jupyter.host,
          port: cfg.jupyter.port,
          token: cfg.jupyter.token,
          jupyterPath: installed.jupyterPath,
        }),
      );
      return waitHealthy(60_000);
    }
  }
}

/** Brings every service up; does nothing when all are already healthy. */
export async function stackUp(cfg: Config, dirs: StackDirs): Promise<Health[]> {
  const before = await Promise.all(SERVICES.map((s) => probes(cfg)[s]()));
  if (before.every((h) => h.ok)) {
    console.log("Todos os serviços já estão no ar e saudáveis: nada a fazer.");
    return before;
  }
  const started = Date.now();
  const installed = await installAll(cfg);
  for (const health of before) {
    if (health.ok) continue;
    const service = health.service;
    const t0 = Date.now();
    process.stdout.write(`Subindo ${service}… `);
    await startService(cfg, dirs, installed, service);
    console.log(`pronto em ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  console.log(`Stack no ar em ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
  return Promise.all(SERVICES.map((s) => probes(cfg)[s]()));
}

/** Stops, in reverse order, every process the kit started. */
export async function stackDown(cfg: Config, dirs: StackDirs): Promise<void> {
  for (const service of [...SERVICES].reverse()) {
    let stopped: boolean;
    if (service === "postgres-oltp" || service === "postgres-dw") {
      stopped = await stopCluster(cfg.versions.postgres, dirs, clusters(cfg)[service]);
    } else {
      stopped = await stopByPid(dirs, service);
    }
    console.log(`${service}: ${stopped ? "parado" : "não estava rodando"}`);
  }
}
