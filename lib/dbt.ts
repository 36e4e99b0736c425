// dbt from TypeScript (lesson 05): runs the dbt CLI on dbt_project/ with the DW's endpoint from
// lib/config (profiles.yml reads it from the environment), streams its log line by line, and
// reads what dbt leaves in target/: run_results.json (one row per node) and manifest.json (the
// lineage, drawn with Graphviz).
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { config } from "./config";
import { renderDot } from "./diagram";

export type StatusDbt = "success" | "error" | "skipped" | "pass" | "fail" | "warn" | "runtime error";

/** One node of a dbt invocation (model, snapshot, test, seed), from run_results.json. */
export interface ResultadoNo {
  /** "model", "snapshot", "test", "unit_test", … */
  tipo: string;
  nome: string;
  status: StatusDbt;
  /** Rows affected as the adapter reports them (null for tests, unit tests and views). */
  linhas: number | null;
  segundos: number;
  mensagem: string | null;
}

export interface ExecucaoDbt {
  comando: string;
  codigo: number;
  /** Wall clock, dbt's start-up (Python imports, parsing) included. */
  segundos: number;
  /** What dbt itself reports (run_results elapsed_time): the nodes' work, start-up excluded. */
  segundosDbt: number | null;
  resultados: ResultadoNo[];
}

export interface OpcoesDbt {
  /** Each log line as dbt prints it (default: console.log). */
  aoLinha?: (linha: string) => void;
  /** Folders put first on PATH to find the dbt executable (the stack's Python environment). */
  caminhos?: string[];
}

const PASTA_DBT = "dbt_project";

function pastaDbt(): string {
  return join(config().root, PASTA_DBT);
}

/** Where dbt writes run_results.json and manifest.json. */
export function pastaAlvo(): string {
  return join(pastaDbt(), "target");
}

/** Environment of a dbt run: the DW endpoint for profiles.yml, no colours, no telemetry (no internet here). */
function ambienteDbt(caminhos: string[] = [], base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const { dw } = config();
  return {
    ...base,
    PATH: [...caminhos, base.PATH ?? ""].filter(Boolean).join(delimiter),
    DW_HOST: dw.host,
    DW_PORT: String(dw.port),
    DW_DB: dw.database,
    POSTGRES_USER: dw.user,
    POSTGRES_PASSWORD: dw.password,
    DBT_PROFILES_DIR: pastaDbt(),
    DBT_PROJECT_DIR: pastaDbt(),
    DBT_USE_COLORS: "false",
    DBT_SEND_ANONYMOUS_USAGE_STATS: "false",
    DBT_PRINTER_WIDTH: "100",
  };
}

/**
 * Runs `dbt <args>` on dbt_project/ and resolves with its exit code and the nodes it ran; never
 * rejects because dbt failed (the caller decides), only when dbt cannot be started.
 */
export async function dbt(args: readonly string[], opts: OpcoesDbt = {}): Promise<ExecucaoDbt> {
  const aoLinha = opts.aoLinha ?? ((l: string) => console.log(l));
  const inicio = Date.now();
  const comando = `dbt ${args.join(" ")}`;
  const antes = modificadoEm(join(pastaAlvo(), "run_results.json"));
  const codigo = await new Promise<number>((resolve, reject) => {
    const filho = spawn("dbt", [...args], { cwd: pastaDbt(), env: ambienteDbt(opts.caminhos), stdio: ["ignore", "pipe", "pipe"] });
    let resto = "";
    const ler = (pedaco: Buffer) => {
      const linhas = (resto + pedaco.toString("utf8")).split("\n");
      resto = linhas.pop() ?? "";
      for (const l of linhas) aoLinha(l.replace(/\r$/, ""));
    };
    filho.stdout.on("data", ler);
    filho.stderr.on("data", ler);
    filho.on("error", (err: NodeJS.ErrnoException) =>
      reject(
        err.code === "ENOENT"
          ? new Error(
              "Não encontrei o dbt no PATH. Rode `npm run stack -- up` (instala o dbt no ambiente Python da stack) e use `npm run dbt -- …` ou o JupyterLab da stack.",
            )
          : err,
      ),
    );
    filho.on("close", (code, signal) => {
      if (resto) aoLinha(resto);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
  // A command that writes no run_results (debug, deps, a parse error) leaves the previous file: not ours.
  const novo = modificadoEm(join(pastaAlvo(), "run_results.json"));
  const nosso = novo !== null && novo !== antes;
  const resultados = nosso ? resultadosDbt() : [];
  const segundosDbt = nosso ? (JSON.parse(readFileSync(join(pastaAlvo(), "run_results.json"), "utf8")) as RunResults).elapsed_time : null;
  return { comando, codigo, segundos: (Date.now() - inicio) / 1000, segundosDbt, resultados };
}

function modificadoEm(arquivo: string): number | null {
  return existsSync(arquivo) ? statSync(arquivo).mtimeMs : null;
}

interface RunResults {
  elapsed_time: number;
  results: {
    unique_id: string;
    status: StatusDbt;
    execution_time: number;
    message: string | null;
    adapter_response?: { rows_affected?: number };
  }[];
}

/** The nodes of the last dbt invocation that wrote run_results.json, in execution order. */
export function resultadosDbt(arquivo = join(pastaAlvo(), "run_results.json")): ResultadoNo[] {
  if (!existsSync(arquivo)) return [];
  const rr = JSON.parse(readFileSync(arquivo, "utf8")) as RunResults;
  return rr.results.map((r) => {
    const [tipo, , ...resto] = r.unique_id.split(".");
    const linhas = r.adapter_response?.rows_affected;
    return {
      tipo,
      nome: resto.join("."),
      status: r.status,
      // A (unit) test's rows_affected counts its own query's rows, not rows of the warehouse.
      linhas: typeof linhas === "number" && linhas >= 0 && tipo !== "test" && tipo !== "unit_test" ? linhas : null,
      segundos: Math.round(r.execution_time * 100) / 100,
      mensagem: r.message,
    };
  });
}

interface Manifest {
  nodes: Record<
    string,
    { resource_type: string; name: string; schema: string; config?: { materialized?: string }; depends_on?: { nodes?: string[] } }
  >;
  sources: Record<string, { source_name: string; name: string; schema: string }>;
}

export interface NoLinhagem {
  id: string;
  nome: string;
  /** "source", "model", "snapshot", "seed". */
  tipo: string;
  schema: string;
  materializacao: string | null;
}

/** Sources, snapshots and models of manifest.json with their dependencies (tests left out). */
export function linhagem(arquivo = join(pastaAlvo(), "manifest.json")): { nos: NoLinhagem[]; arestas: [string, string][] } {
  if (!existsSync(arquivo)) throw new Error(`Não encontrei ${arquivo}: rode \`dbt build\` (ou \`dbt parse\`) antes.`);
  const m = JSON.parse(readFileSync(arquivo, "utf8")) as Manifest;
  const nos: NoLinhagem[] = Object.entries(m.sources).map(([id, s]) => ({
    id,
    nome: `${s.source_name}.${s.name}`,
    tipo: "source",
    schema: s.schema,
    materializacao: null,
  }));
  const arestas: [string, string][] = [];
  for (const [id, n] of Object.entries(m.nodes)) {
    if (!["model", "snapshot", "seed"].includes(n.resource_type)) continue;
    nos.push({ id, nome: n.name, tipo: n.resource_type, schema: n.schema, materializacao: n.config?.materialized ?? null });
    for (const de of n.depends_on?.nodes ?? []) arestas.push([de, id]);
  }
  const ids = new Set(nos.map((n) => n.id));
  return { nos, arestas: arestas.filter(([de, para]) => ids.has(de) && ids.has(para)) };
}

const CORES: Record<string, string> = { source: "#e8eef7", snapshot: "#f6e7c1", staging: "#e6f2e6", marts: "#d9ead3" };

/** The lineage as a left-to-right graph, one colour per layer, one box per source/model. */
export async function linhagemSvg(arquivo?: string): Promise<string> {
  const { nos, arestas } = linhagem(arquivo);
  const rotulo = (n: NoLinhagem) =>
    `${n.nome}\\n${n.tipo === "source" ? "fonte" : n.tipo === "snapshot" ? "snapshot" : (n.materializacao ?? n.tipo)}`;
  const cor = (n: NoLinhagem) => CORES[n.tipo === "source" ? "source" : n.tipo === "snapshot" ? "snapshot" : n.schema] ?? "#ffffff";
  const dot = [
    "digraph linhagem {",
    // size: scaled down to fit a notebook cell (inches at 72 dpi).
    '  rankdir=LR; bgcolor="white"; size="10,14"; node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11]; edge [color="#888888"];',
    ...nos.map((n) => `  "${n.id}" [label="${rotulo(n)}", fillcolor="${cor(n)}"];`),
    ...arestas.map(([de, para]) => `  "${de}" -> "${para}";`),
    "}",
  ].join("\n");
  return renderDot(dot);
}
