// Diagrams drawn from live facts: the platform's architecture from the configuration and the
// entity-relationship diagram from PostgreSQL's catalog, rendered to SVG with Graphviz (wasm).
import { instance } from "@viz-js/viz";
import type pg from "pg";
import type { Config } from "./config";

/** Renders Graphviz DOT source to an SVG document. */
export async function renderDot(dot: string): Promise<string> {
  const viz = await instance();
  return viz.renderString(dot, { format: "svg" });
}

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

interface ColumnRow {
  table_name: string;
  column_name: string;
  data_type: string;
  not_null: boolean;
  is_pk: boolean;
  is_fk: boolean;
}

interface ForeignKeyRow {
  from_table: string;
  to_table: string;
  constraint_name: string;
  columns: string;
}

/** DOT source of the ERD of one schema: a box per table (PK/FK marked), an edge per foreign key. */
export async function erdDot(client: pg.Client, schema = "public", tables?: string[]): Promise<string> {
  const filter = tables ?? null;
  const { rows: columns } = await client.query<ColumnRow>(
    `SELECT c.relname AS table_name, a.attname AS column_name,
            format_type(a.atttypid, a.atttypmod) AS data_type, a.attnotnull AS not_null,
            EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p' AND a.attnum = ANY (k.conkey)) AS is_pk,
            EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'f' AND a.attnum = ANY (k.conkey)) AS is_fk
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = $1 AND c.relkind = 'r' AND ($2::text[] IS NULL OR c.relname = ANY ($2))
      ORDER BY c.relname, a.attnum`,
    [schema, filter],
  );
  const { rows: foreignKeys } = await client.query<ForeignKeyRow>(
    `SELECT c.relname AS from_table, r.relname AS to_table, k.conname AS constraint_name,
            (SELECT string_agg(a.attname, ', ') FROM unnest(k.conkey) AS u(attnum)
               JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum) AS columns
       FROM pg_constraint k
       JOIN pg_class c ON c.oid = k.conrelid
       JOIN pg_class r ON r.oid = k.confrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE k.contype = 'f' AND n.nspname = $1 AND ($2::text[] IS NULL OR (c.relname = ANY ($2) AND r.relname = ANY ($2)))
      ORDER BY 1, 2`,
    [schema, filter],
  );
  const byTable = new Map<string, ColumnRow[]>();
  for (const col of columns) byTable.set(col.table_name, [...(byTable.get(col.table_name) ?? []), col]);
  const nodes = [...byTable].map(([table, cols]) => {
    const rows = cols
      .map((c) => {
        const key = [c.is_pk ? "PK" : "", c.is_fk ? "FK" : ""].filter(Boolean).join(" ");
        const name = c.is_pk ? `<b>${escapeHtml(c.column_name)}</b>` : escapeHtml(c.column_name);
        return `<tr><td align="left">${key}</td><td align="left">${name}</td><td align="left"><font color="#555555">${escapeHtml(c.data_type)}${c.not_null ? "" : " ?"}</font></td></tr>`;
      })
      .join("");
    return `  "${table}" [label=<<table border="0" cellborder="1" cellspacing="0" cellpadding="3"><tr><td colspan="3" bgcolor="#1f4e79"><font color="white"><b>${escapeHtml(table)}</b></font></td></tr>${rows}</table>>];`;
  });
  const edges = foreignKeys.map(
    (fk) => `  "${fk.from_table}" -> "${fk.to_table}" [label="${escapeHtml(fk.columns)}", arrowhead=crow, arrowtail=tee, dir=both];`,
  );
  return [
    "digraph erd {",
    '  graph [rankdir=LR, fontname="Helvetica", nodesep=0.4, ranksep=0.9, size="11,8"];',
    '  node [shape=plaintext, fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=9, color="#555555"];',
    ...nodes,
    ...edges,
    "}",
  ].join("\n");
}

/** DOT source of the platform: every service with the address it listens on. */
export function architectureDot(cfg: Config): string {
  const svc = (id: string, label: string, addr: string, color: string) =>
    `  ${id} [label=<<b>${escapeHtml(label)}</b><br/><font point-size="9">${escapeHtml(addr)}</font>>, fillcolor="${color}"];`;
  return [
    "digraph arquitetura {",
    '  graph [rankdir=TB, fontname="Helvetica", nodesep=0.35, ranksep=0.45, size="10,8"];',
    '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11];',
    '  edge [fontname="Helvetica", fontsize=9];',
    svc("gen", "Geradores (lib/geradores)", "histórico e streaming", "#fff2cc"),
    svc("oltp", "PostgreSQL OLTP (3FN)", `${cfg.oltp.host}:${cfg.oltp.port}`, "#dae8fc"),
    svc("connect", "Kafka Connect + Debezium", `${cfg.connect.host}:${cfg.connect.port}`, "#e1d5e7"),
    svc("kafka", "Apache Kafka (KRaft)", cfg.kafka.brokers.join(","), "#e1d5e7"),
    svc("detector", "Detector de fraude", "tempo real", "#f8cecc"),
    svc("dw", "PostgreSQL DW (star schema)", `${cfg.dw.host}:${cfg.dw.port}`, "#dae8fc"),
    svc("dbt", "dbt", "staging → marts", "#d5e8d4"),
    svc("airflow", "Airflow", `localhost:${cfg.airflow.port}`, "#d5e8d4"),
    svc("minio", "MinIO (S3): raw → trusted → refined", `${cfg.minio.host}:${cfg.minio.port}`, "#ffe6cc"),
    svc("spark", "Spark + Delta Lake", "leitura em escala", "#ffe6cc"),
    svc("jupyter", "JupyterLab (tslab)", `${cfg.jupyter.host}:${cfg.jupyter.port}`, "#f5f5f5"),
    '  gen -> oltp [label="INSERT"];',
    '  oltp -> connect [label="WAL lógico (pgoutput)"];',
    '  connect -> kafka [label="eventos CDC"];',
    "  kafka -> detector;",
    '  detector -> kafka [label="alertas"];',
    '  oltp -> dw [label="postgres_fdw"];',
    '  dbt -> dw [label="modelos"];',
    '  airflow -> dbt [label="orquestra"];',
    '  kafka -> minio [label="raw"];',
    '  dw -> minio [label="extrações"];',
    '  minio -> spark [label="Delta"];',
    "  jupyter -> gen [style=dashed];",
    "  { rank=same; oltp; dw; }",
    "  { rank=same; connect; dbt; }",
    "}",
  ].join("\n");
}
