// PostgreSQL access for the kit: one client per call site, settings from lib/config.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { config, type PgEndpoint } from "./config";

// BIGINT (ids of 11 digits, COUNT(*)) fits a double exactly, so read it as a number; NUMERIC
// stays a string so money is never rounded behind the student's back.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export type Database = "oltp" | "dw";

export function endpoint(db: Database): PgEndpoint {
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

/** The .sql files of a folder, in name order. */
export function sqlFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .map((f) => join(dir, f));
}

/** Applies every .sql file of `dir` in order, each in its own transaction (the files are idempotent). */
export async function applySqlDir(client: pg.Client, dir: string): Promise<string[]> {
  const applied: string[] = [];
  for (const file of sqlFiles(dir)) {
    await client.query("BEGIN");
    try {
      await client.query(readFileSync(file, "utf8"));
      await client.query("COMMIT");
    } catch (err) {
      await client.query("ROLLBACK");
      throw new Error(`Erro ao aplicar ${file}: ${(err as Error).message}`);
    }
    applied.push(file);
  }
  return applied;
}
