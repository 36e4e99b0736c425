// PostgreSQL access for the kit: one client per call site, settings from lib/config.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { config, type PgEndpoint } from "./config";
import { ErroServicoFora } from "./erros";

// BIGINT (ids of 11 digits, COUNT(*)) fits a double exactly, so read it as a number; NUMERIC
// stays a string so money is never rounded behind the student's back.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
// A DATE is a calendar day, not an instant: keep 'YYYY-MM-DD' instead of a Date at local midnight.
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);

export type Database = "oltp" | "dw";

function endpoint(db: Database): PgEndpoint {
  return config()[db];
}

/** Opens a client, runs `work`, always closes it. */
export async function withClient<T>(db: Database | PgEndpoint, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(typeof db === "string" ? endpoint(db) : db);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Rows of one query on a fresh connection. */
export async function query<R extends pg.QueryResultRow = Record<string, unknown>>(
  db: Database,
  sql: string,
  params: unknown[] = [],
): Promise<R[]> {
  return withClient(db, async (client) => (await client.query<R>(sql, params)).rows);
}

/** The init files of `dir`, in the order docker's entrypoint runs them (numbered *.sql). */
export function sqlFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => /^\d+[_-].*\.sql$/.test(name))
    .sort();
}

/**
 * Applies every numbered .sql file of `dir` in name order, each as one multi-statement query
 * (simple query protocol: atomic per file). Opens no transaction of its own, so inside the
 * caller's transaction it is all-or-nothing. The files are idempotent. Returns their names.
 * `settings` become session settings `liga_sudoers.<name>` the files read with
 * current_setting(): credentials and hosts reach the SQL as values, never written in it.
 */
export async function applySqlDir(client: pg.ClientBase, dir: string, settings: Record<string, string> = {}): Promise<string[]> {
  const entries = Object.entries(settings);
  if (entries.length) {
    const calls = entries.map((_, i) => `set_config('liga_sudoers.' || $${2 * i + 1}, $${2 * i + 2}, false)`);
    await client.query(`SELECT ${calls.join(", ")}`, entries.flat());
  }
  const files = sqlFiles(dir);
  if (files.length === 0) throw new Error(`Nenhum arquivo .sql numerado em ${dir}.`);
  for (const file of files) {
    try {
      await client.query(readFileSync(join(dir, file), "utf8"));
    } catch (error) {
      throw new Error(`Falha ao aplicar ${file}: ${(error as Error).message}`, { cause: error });
    }
  }
  return files;
}

/** Runs `work` in a transaction on `client`: COMMIT when it resolves, ROLLBACK when it throws. */
export async function inTransaction<T>(client: pg.ClientBase, work: () => Promise<T>): Promise<T> {
  await client.query("BEGIN");
  try {
    const result = await work();
    await client.query("COMMIT");
    return result;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
}

/**
 * A connected client for a long-running job (generators, detector), or an ErroServicoFora
 * naming the server that could not be reached: the CLIs turn it into exit code 2.
 */
export async function connect(db: Database): Promise<pg.Client> {
  const ep = endpoint(db);
  const client = new pg.Client({ ...ep, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    throw new ErroServicoFora(
      db === "oltp" ? "postgres-oltp" : "postgres-dw",
      `postgresql://${ep.host}:${ep.port}/${ep.database}`,
      `Não consegui conectar ao PostgreSQL ${db.toUpperCase()} em ${ep.host}:${ep.port} (banco ${ep.database}): ${(err as Error).message}. ` +
        "A stack está no ar? Rode `npm run stack -- up` (ou `docker compose up -d`).",
      { cause: err },
    );
  }
  return client;
}
