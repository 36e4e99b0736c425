// Apache Airflow, native: its own cached virtualenv (stack/python-env/airflow), the environment
// that points it at this clone (AIRFLOW_HOME under .stack/, DAGs from airflow_dags/, SQLite
// metadata), and the metadata database migration. Enough for `airflow dags test`; the stack does
// not keep a scheduler running. The command-line wrapper is cli/airflow.ts:
//   npm run airflow -- dags test liga_sudoers_pipeline
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { capture, failureText, tail } from "./proc";
import { cleanEnv, installLockedVenv, type CommandLine, type PythonEnv } from "./python";

export interface AirflowInstall extends PythonEnv {
  /** The `airflow` executable of the virtualenv. */
  airflow: string;
}

const TAIL_LINES = 25;

/**
 * Creates (once) the Airflow virtualenv from stack/python-env/airflow/requirements.lock.txt.
 * It is separate from the JupyterLab/dbt venv because Airflow's pins clash with dbt's. Airflow
 * documents installing against its published constraints file, which lives on GitHub, out of our
 * machines' reach: the lock, one resolve of requirements.txt frozen with pip freeze, is our
 * constraints file. The key also stamps the migrated metadata database (prepareAirflowDb).
 */
export async function installAirflow(opts: { cacheDir: string; repoRoot: string }): Promise<AirflowInstall> {
  const env = await installLockedVenv({
    cacheDir: opts.cacheDir,
    name: "airflow-venv",
    requirementsDir: join(opts.repoRoot, "stack", "python-env", "airflow"),
    // What apache-airflow 3.3.2 accepts (Requires-Python: >=3.10, !=3.15).
    minPython: [3, 10],
    maxPython: [3, 14],
    what: "do Airflow",
    mainBin: "airflow",
    announce: "Instalando o Apache Airflow (PyPI) num ambiente virtual próprio; na primeira vez leva cerca de 1 minuto…",
  });
  return { ...env, airflow: env.bin("airflow") };
}

/** AIRFLOW_HOME of this clone: airflow.cfg, the SQLite metadata database and task logs. */
export function airflowHome(repoRoot: string): string {
  return join(repoRoot, ".stack", "airflow");
}

/**
 * Environment for running the `airflow` CLI natively against this clone. The base environment
 * passes through, so the tasks see the same kit configuration as the shell that started them.
 * PATH gets this node's folder and the venv's bin appended, not prepended: the tasks find `npm`
 * even when the shell lacks it, `airflow standalone` finds `airflow` for its subprocesses, and
 * the shell's own `python3` (e.g. pyenv's, which `npm run dbt` builds its venv with) is not
 * shadowed by /usr/bin or by Airflow's venv.
 */
export function airflowEnv(opts: {
  venv: string;
  repoRoot: string;
  /** Port of the API server/UI, if one is started natively (AIRFLOW_PORT). */
  port: number;
  /** Defaults to <repo>/airflow_dags. */
  dagsFolder?: string;
  /** Defaults to airflowHome(repoRoot). */
  home?: string;
  baseEnv?: NodeJS.ProcessEnv;
}): NodeJS.ProcessEnv {
  const base = opts.baseEnv ?? process.env;
  const root = resolve(opts.repoRoot);
  const home = opts.home ?? airflowHome(root);
  const path = [base.PATH ?? "", dirname(process.execPath), join(opts.venv, "bin")].filter(Boolean).join(delimiter);
  return {
    ...cleanEnv(base),
    PATH: path,
    // Where the DAG runs its tasks (the compose service sets the same variable to /workspace).
    LIGA_SUDOERS_HOME: root,
    AIRFLOW_HOME: home,
    AIRFLOW__CORE__DAGS_FOLDER: opts.dagsFolder ?? join(root, "airflow_dags"),
    AIRFLOW__CORE__LOAD_EXAMPLES: "False",
    // SQLite is enough for `dags test` and a local UI, as in the compose service.
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${join(home, "airflow.db")}`,
    // Local course environment: no login screen (same as compose).
    AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS: "True",
    // A native `airflow standalone` starts one LocalExecutor worker per slot (32 by default);
    // the kit's DAG runs one task at a time.
    AIRFLOW__CORE__PARALLELISM: "4",
    // Airflow 3 workers reach the API server over HTTP; keep both on AIRFLOW_PORT.
    AIRFLOW__API__PORT: String(opts.port),
    AIRFLOW__CORE__EXECUTION_API_SERVER_URL: `http://localhost:${opts.port}/execution/`,
  };
}

/** Command line for `airflow <args>` with the kit's environment. */
export function airflowCommand(opts: {
  install: AirflowInstall;
  repoRoot: string;
  port: number;
  args: string[];
  dagsFolder?: string;
  home?: string;
  baseEnv?: NodeJS.ProcessEnv;
}): CommandLine {
  const { install, args, ...rest } = opts;
  return { cmd: install.airflow, args, env: airflowEnv({ venv: install.venv, ...rest }) };
}

/**
 * Creates or upgrades the metadata database (`airflow db migrate`) when this AIRFLOW_HOME has not
 * been migrated by this very install yet; a stamp file next to the database remembers it.
 */
export async function prepareAirflowDb(opts: { install: AirflowInstall; repoRoot: string; port: number; home?: string }): Promise<void> {
  const home = opts.home ?? airflowHome(opts.repoRoot);
  const stamp = join(home, ".db-migrated");
  if (existsSync(stamp) && readFileSync(stamp, "utf8").trim() === opts.install.key && existsSync(join(home, "airflow.db"))) return;
  mkdirSync(home, { recursive: true });
  const { cmd, args, env } = airflowCommand({ ...opts, args: ["db", "migrate"] });
  const r = await capture(cmd, args, { env, replaceEnv: true, cwd: opts.repoRoot });
  if (r.code !== 0) {
    throw new Error(
      `Falha ao preparar o banco de metadados do Airflow (airflow db migrate) em ${home}.\n${tail(failureText(r), TAIL_LINES)}\n` +
        `Se o erro persistir, apague ${home} e rode de novo.`,
    );
  }
  writeFileSync(stamp, `${opts.install.key}\n`);
}
