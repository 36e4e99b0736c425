// Linters for the kit's SQL and Python: sqlfluff on dbt_project/ (config in dbt_project/.sqlfluff,
// jinja templater, no DW connection) and ruff on the Python files (config in ruff.toml at the repo
// root). Both come from their own small virtualenv, locked in stack/python-env/lint and cached
// like the kit's other Python environments (installLockedVenv). Run directly:
//   npm run lint:sql-py
import { basename, join, resolve } from "node:path";
import { cacheDir, capture } from "./proc";
import { cleanEnv, installLockedVenv, type PythonEnv } from "./python";

/** This clone's root (stack/ is one level down). */
const RAIZ = resolve(import.meta.dirname, "..");

export interface ResultadoLint {
  ok: boolean;
  /** Every linter's command line and output, in order. */
  output: string;
}

/** Creates (once) the lint virtualenv (sqlfluff + ruff) from stack/python-env/lint/requirements.lock.txt. */
export function installLintTools(opts: { cacheDir: string; repoRoot: string }): Promise<PythonEnv> {
  return installLockedVenv({
    cacheDir: opts.cacheDir,
    name: "lint-venv",
    requirementsDir: join(opts.repoRoot, "stack", "python-env", "lint"),
    // sqlfluff 4 needs Python 3.10+ (ruff is a static binary inside its wheel).
    minPython: [3, 10],
    what: "dos linters (sqlfluff e ruff)",
    mainBin: "sqlfluff",
    announce: "Instalando sqlfluff e ruff (PyPI) num ambiente virtual próprio; na primeira vez leva alguns segundos…",
  });
}

/**
 * Installs the linters if missing (cached), then runs `ruff check`, `ruff format --check` (the
 * Python of airflow_dags/, delta_lake/ and stack/, as ruff.toml selects) and `sqlfluff lint`
 * (dbt_project/). Never rejects because a linter found problems: `ok` says whether all passed.
 */
export async function lintPythonAndSql(opts: { cacheDir?: string; repoRoot?: string } = {}): Promise<ResultadoLint> {
  const repoRoot = opts.repoRoot ?? RAIZ;
  const cache = opts.cacheDir ?? cacheDir();
  const venv = await installLintTools({ cacheDir: cache, repoRoot });
  // ruff's cache beside the kit's other caches, not in the clone.
  const env = { ...cleanEnv(), RUFF_CACHE_DIR: join(cache, "ruff-cache"), NO_COLOR: "1" };
  const ruffConfig = join(repoRoot, "ruff.toml");
  const passos: { cmd: string; args: string[]; cwd: string }[] = [
    { cmd: venv.bin("ruff"), args: ["check", "--config", ruffConfig, "--no-fix", "."], cwd: repoRoot },
    { cmd: venv.bin("ruff"), args: ["format", "--config", ruffConfig, "--check", "."], cwd: repoRoot },
    // From dbt_project/, so .sqlfluff and .sqlfluffignore apply and its paths resolve there.
    { cmd: venv.bin("sqlfluff"), args: ["lint", "--nocolor", "--disable-progress-bar", "."], cwd: join(repoRoot, "dbt_project") },
  ];
  const saidas: string[] = [];
  let ok = true;
  for (const p of passos) {
    const r = await capture(p.cmd, p.args, { cwd: p.cwd, env, replaceEnv: true });
    if (r.spawnError) throw r.spawnError;
    const passou = r.code === 0;
    ok &&= passou;
    const linha = [basename(p.cmd), ...p.args.map((a) => (a === ruffConfig ? "ruff.toml" : a))].join(" ");
    const onde = p.cwd === repoRoot ? "" : `(em ${basename(p.cwd)}/) `;
    saidas.push(`$ ${onde}${linha}: ${passou ? "ok" : `falhou (código ${r.code ?? r.signal})`}\n${r.output.trimEnd()}`);
  }
  return { ok, output: saidas.join("\n\n") };
}
