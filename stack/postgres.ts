// PostgreSQL clusters of the native stack (OLTP and DW), from Debian's packages, each in its
// own data folder under .stack/ and run with pg_ctl.
import { spawnSync } from "node:child_process";
import { appendFileSync, chownSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import pg from "pg";
import type { PgEndpoint } from "../lib/config";
import { logFile, run, type StackDirs } from "./proc";

export interface ClusterSpec {
  service: "postgres-oltp" | "postgres-dw";
  endpoint: PgEndpoint;
  /** Extra postgresql.conf lines (e.g. wal_level=logical for CDC). */
  settings: Record<string, string | number>;
}

const binDir = (version: string) => `/usr/lib/postgresql/${version}/bin`;

interface RunAs {
  uid?: number;
  gid?: number;
}

/** PostgreSQL refuses to run as root: when we are root, its processes run as the `postgres` user. */
function postgresIds(): RunAs {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(spawnSync("id", [flag, "postgres"], { encoding: "utf8" }).stdout.trim());
  const uid = id("-u");
  const gid = id("-g");
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error("Usuário de sistema 'postgres' não encontrado.");
  return { uid, gid };
}

export async function installPostgres(version: string, packages: string[] = []): Promise<void> {
  const wanted = [`postgresql-${version}`, ...packages];
  const missing = wanted.filter((p) => spawnSync("dpkg", ["-s", p], { stdio: "ignore" }).status !== 0);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`Faltam pacotes Debian: ${missing.join(", ")}. Instale com: sudo apt-get install -y ${missing.join(" ")}`);
  }
  // Debian would otherwise create and start a "main" cluster on 5432, where our OLTP listens.
  mkdirSync("/etc/postgresql-common", { recursive: true });
  appendFileSync("/etc/postgresql-common/createcluster.conf", "\ncreate_main_cluster = false\n");
  console.log(`Instalando ${missing.join(", ")} (apt-get)…`);
  await run("apt-get", ["update", "-q"]);
  await run("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...missing], {
    env: { DEBIAN_FRONTEND: "noninteractive" },
  });
}

/** The data folder; when .stack/ is not reachable by the postgres user, it lives in /var/tmp behind a symlink. */
function dataDir(dirs: StackDirs, spec: ClusterSpec, ids: RunAs): string {
  const dir = join(dirs.data, spec.service);
  if (ids.uid === undefined || existsSync(dir)) return dir;
  const reachable = spawnSync("test", ["-x", dirs.data], { uid: ids.uid, gid: ids.gid }).status === 0;
  if (reachable) return dir;
  const hash = createHash("sha256").update(dirs.base).digest("hex").slice(0, 12);
  const outside = `/var/tmp/liga-sudoers-${hash}/${spec.service}`;
  mkdirSync(outside, { recursive: true });
  chownSync(outside, ids.uid, ids.gid!);
  symlinkSync(outside, dir);
  return dir;
}

function ownedBy(path: string, ids: RunAs): void {
  if (ids.uid !== undefined) chownSync(path, ids.uid, ids.gid!);
}

async function pgCtl(version: string, ids: RunAs, args: string[]): Promise<string> {
  return run(join(binDir(version), "pg_ctl"), args, ids);
}

export async function clusterRunning(version: string, dirs: StackDirs, spec: ClusterSpec): Promise<boolean> {
  const dir = join(dirs.data, spec.service);
  if (!existsSync(join(dir, "PG_VERSION"))) return false;
  return pgCtl(version, postgresIds(), ["status", "-D", dir]).then(
    () => true,
    () => false,
  );
}

/** initdb (once), then start with pg_ctl and make sure the database exists. */
export async function startCluster(version: string, dirs: StackDirs, spec: ClusterSpec): Promise<void> {
  const ids = postgresIds();
  const dir = dataDir(dirs, spec, ids);
  if (!existsSync(join(dir, "PG_VERSION"))) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    ownedBy(dir, ids);
    const pwfile = join(dirs.base, `.${spec.service}.pw`);
    writeFileSync(pwfile, `${spec.endpoint.password}\n`, { mode: 0o600 });
    ownedBy(pwfile, ids);
    try {
      // As in the postgres image, POSTGRES_USER is the superuser.
      await run(
        join(binDir(version), "initdb"),
        [
          "-D",
          dir,
          "-U",
          spec.endpoint.user,
          `--pwfile=${pwfile}`,
          "--auth-host=scram-sha-256",
          "--auth-local=trust",
          "-E",
          "UTF8",
          "--locale=C.UTF-8",
        ],
        ids,
      );
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    } finally {
      rmSync(pwfile, { force: true });
    }
    const settings: Record<string, string | number> = {
      port: spec.endpoint.port,
      listen_addresses: "'localhost'",
      // TCP only: no socket file that could clash with a Debian cluster in /var/run/postgresql.
      unix_socket_directories: "''",
      ...spec.settings,
    };
    appendFileSync(
      join(dir, "postgresql.conf"),
      "\n# Liga Sudoers native stack\n" +
        Object.entries(settings)
          .map(([k, v]) => `${k} = ${v}`)
          .join("\n") +
        "\n",
    );
  }
  const log = logFile(dirs, spec.service);
  if (!existsSync(log)) writeFileSync(log, "");
  ownedBy(log, ids);
  if (!(await clusterRunning(version, dirs, spec))) {
    await pgCtl(version, ids, ["start", "-w", "-t", "60", "-D", dir, "-l", log]);
  }
  await ensureDatabase(spec.endpoint);
}

export async function stopCluster(version: string, dirs: StackDirs, spec: ClusterSpec): Promise<boolean> {
  if (!(await clusterRunning(version, dirs, spec))) return false;
  await pgCtl(version, postgresIds(), ["stop", "-m", "fast", "-w", "-D", join(dirs.data, spec.service)]);
  return true;
}

async function ensureDatabase(endpoint: PgEndpoint): Promise<void> {
  const client = new pg.Client({ ...endpoint, database: "postgres" });
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [endpoint.database]);
    if (!rowCount) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(endpoint.database)}`);
  } finally {
    await client.end();
  }
}
