// Python side of the native stack: virtualenvs installed from lock files (installLockedVenv, also
// behind cli/airflow.ts), the one for JupyterLab/nbclient/nbconvert/dbt, the tslab kernel spec,
// and the command lines for JupyterLab and the headless notebook runner.
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { capture, failureText, shortHash, tail, type CaptureResult } from "./proc";

export interface PythonEnv {
  /** Absolute path of the virtualenv. */
  venv: string;
  /** The virtualenv's python executable. */
  python: string;
  /** Absolute path of an executable installed in the virtualenv (jupyter-lab, dbt, ...). */
  bin: (name: string) => string;
  /** Hash of the lock file and base interpreter: names the venv (and stamps what depends on it). */
  key: string;
}

export interface CommandLine {
  cmd: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

type PythonVersion = readonly [number, number];

const MARKER = ".liga-sudoers-ready";

/** Lines of a failed command's output quoted in error messages. */
const TAIL_LINES = 25;

/** Environment without the variables of an outer virtualenv, which would confuse pip, jupyter and airflow. */
export function cleanEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  delete env.VIRTUAL_ENV;
  delete env.PYTHONHOME;
  delete env.PYTHONPATH;
  return env;
}

interface BasePython {
  executable: string;
  version: string;
}

/** Whether version a (major, minor) comes before b. */
const older = (a: readonly number[], b: readonly number[]) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

async function probePython(python: string, what: string, min: PythonVersion, max?: PythonVersion): Promise<BasePython> {
  const range = max ? `${min.join(".")} a ${max.join(".")}` : `${min.join(".")} ou mais novo`;
  const result = await capture(python, [
    "-c",
    "import sys, os; print('%d.%d.%d' % sys.version_info[:3]); print(os.path.realpath(sys.executable))",
  ]);
  if (result.spawnError) {
    throw new Error(
      `Não encontrei o Python (${python}) para o ambiente ${what}. Instale o Python ${range} ` +
        "(no Debian: sudo apt-get install python3 python3-venv) ou indique outro em LIGA_SUDOERS_PYTHON.",
    );
  }
  const [version = "", executable = ""] = result.output.trim().split("\n");
  if (result.code !== 0 || !version) {
    throw new Error(`Não consegui executar ${python}:\n${tail(result.output, TAIL_LINES)}`);
  }
  const v = version.split(".").map(Number);
  if (older(v, min) || (max && older(max, v))) {
    throw new Error(
      `O ${python} é a versão ${version}, mas o ambiente ${what} precisa do Python ${range} (o kit é testado no 3.11). ` +
        "Instale outra versão ou indique outro interpretador em LIGA_SUDOERS_PYTHON.",
    );
  }
  return { executable, version };
}

/**
 * Creates (once) <cacheDir>/<name>-<key>, a virtualenv installed exactly from
 * <requirementsDir>/requirements.lock.txt with --no-deps. The key hashes the lock and the base
 * interpreter, so a changed lock or a different Python gives a fresh venv. The marker file is
 * written last: a venv without it is half-made and is rebuilt from scratch.
 */
export async function installLockedVenv(opts: {
  cacheDir: string;
  /** Folder prefix: "venv", "airflow-venv". */
  name: string;
  requirementsDir: string;
  minPython: PythonVersion;
  maxPython?: PythonVersion;
  /** Label for messages, completing "o ambiente …" / "as dependências …": "Python", "do Airflow". */
  what: string;
  /** Executable whose absence also means a broken venv; defaults to python. */
  mainBin?: string;
  /** Printed before a fresh install (slow installs). */
  announce?: string;
}): Promise<PythonEnv> {
  const lockFile = join(opts.requirementsDir, "requirements.lock.txt");
  const topFile = join(opts.requirementsDir, "requirements.txt");
  const lock = readFileSync(lockFile, "utf8");
  const base = await probePython(process.env.LIGA_SUDOERS_PYTHON || "python3", opts.what, opts.minPython, opts.maxPython);
  const key = shortHash(lock, base.version, base.executable);
  const venv = join(opts.cacheDir, `${opts.name}-${key}`);
  const python = join(venv, "bin", "python");
  const result: PythonEnv = { venv, python, bin: (name) => join(venv, "bin", name), key };
  const marker = join(venv, MARKER);
  if (existsSync(marker) && existsSync(result.bin(opts.mainBin ?? "python"))) return result;

  rmSync(venv, { recursive: true, force: true });
  mkdirSync(opts.cacheDir, { recursive: true });
  if (opts.announce) console.log(opts.announce);
  const logFile = `${venv}.log`;
  const log: string[] = [];
  const env = cleanEnv();
  const step = async (what: string, cmd: string, args: string[]): Promise<CaptureResult> => {
    const r = await capture(cmd, args, { env, replaceEnv: true });
    if (r.spawnError) throw r.spawnError;
    log.push(`$ ${cmd} ${args.join(" ")}\n${r.output}`);
    writeFileSync(logFile, log.join("\n"));
    if (r.code !== 0 && what) {
      throw new Error(
        `Falha ao ${what} (código ${r.code ?? r.signal}). Log completo: ${logFile}\n${tail(r.output, TAIL_LINES)}\n` +
          `Verifique o acesso ao PyPI e rode o comando de novo: o ambiente ${opts.what} é refeito do zero.`,
      );
    }
    return r;
  };

  await step(`criar o ambiente virtual ${opts.what} (no Debian: sudo apt-get install python3-venv)`, base.executable, ["-m", "venv", venv]);
  const pip = ["-m", "pip", "install", "--no-input", "--disable-pip-version-check", "--no-warn-script-location"];
  await step(`instalar os pacotes ${opts.what} (pip)`, python, [...pip, "--no-deps", "-r", lockFile]);
  // The locks are frozen on Python 3.11; another minor version may need a few extra marker-only
  // dependencies (e.g. exceptiongroup on 3.10), which the resolver then adds under the lock's pins.
  const check = await step("", python, ["-m", "pip", "check"]);
  if (check.code !== 0) {
    await step(`completar as dependências ${opts.what} (pip)`, python, [...pip, "-r", topFile, "-c", lockFile]);
    await step(`verificar as dependências ${opts.what} (pip check)`, python, ["-m", "pip", "check"]);
  }
  writeFileSync(marker, `${key}\n`);
  return result;
}

/** The JupyterLab/nbclient/nbconvert/dbt-postgres venv, from stack/python-env. */
export function installPython(opts: { cacheDir: string; repoRoot: string }): Promise<PythonEnv> {
  return installLockedVenv({
    cacheDir: opts.cacheDir,
    name: "venv",
    requirementsDir: join(opts.repoRoot, "stack", "python-env"),
    minPython: [3, 10],
    what: "Python",
  });
}

/**
 * Writes the "tslab" kernel spec into <cache>/jupyter/<hash of the repo path>/share/jupyter and
 * returns that folder for JUPYTER_PATH. The spec is per clone because its argv holds absolute
 * paths (this node binary and this clone's tslab), which is faster and less fragile than npx;
 * tslab itself then loads the tslab found above the kernel's cwd (the notebook's folder).
 * Rewritten whenever its content would change (e.g. node moved); cheap to call every time.
 */
export async function installTslabKernel(opts: { cacheDir: string; repoRoot: string; python: string }): Promise<{ jupyterPath: string }> {
  const root = realpathSync(opts.repoRoot);
  const tslab = join(root, "node_modules", "tslab", "bin", "tslab");
  if (!existsSync(tslab)) {
    throw new Error(`O kernel tslab não está instalado em ${root}/node_modules. Rode "npm ci" na raiz do kit.`);
  }
  const jupyterPath = join(opts.cacheDir, "jupyter", shortHash(root), "share", "jupyter");
  const specDir = join(jupyterPath, "kernels", "tslab");
  const spec = {
    argv: [process.execPath, tslab, "kernel", "--config-path", "{connection_file}"],
    display_name: "TypeScript",
    language: "typescript",
    metadata: { "liga-sudoers": { repoRoot: root } },
  };
  const text = `${JSON.stringify(spec, null, 2)}\n`;
  const file = join(specDir, "kernel.json");
  if (!existsSync(file) || readFileSync(file, "utf8") !== text) {
    mkdirSync(specDir, { recursive: true });
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
  }

  // Make sure Jupyter resolves "tslab" to this spec (JUPYTER_PATH wins over user/system specs).
  const probe = await capture(
    opts.python,
    ["-c", "from jupyter_client.kernelspec import KernelSpecManager as K; print(K().find_kernel_specs().get('tslab', ''))"],
    { env: { ...cleanEnv(), JUPYTER_PATH: jupyterPath, JUPYTER_PLATFORM_DIRS: "1" }, replaceEnv: true },
  );
  const found = probe.output.trim().split("\n").pop() ?? "";
  if (probe.code !== 0 || found !== specDir) {
    throw new Error(
      `O Jupyter não encontrou o kernel tslab em ${specDir} (encontrou: "${found}").\n${tail(failureText(probe), TAIL_LINES)}`,
    );
  }
  return { jupyterPath };
}

/** Variables shared by JupyterLab and the runner: venv first on PATH, node reachable, quiet Jupyter. */
function jupyterEnv(opts: { venv: string; repoRoot: string; jupyterPath: string }, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const state = join(opts.repoRoot, ".stack", "jupyter");
  const path = [join(opts.venv, "bin"), dirname(process.execPath), base.PATH ?? ""].filter(Boolean).join(delimiter);
  return {
    ...cleanEnv(base),
    PATH: path,
    VIRTUAL_ENV: opts.venv,
    JUPYTER_PATH: opts.jupyterPath,
    // Keep Jupyter's config and runtime files with the rest of the stack's state, so a user's
    // ~/.jupyter cannot change the kit's behaviour.
    JUPYTER_CONFIG_DIR: join(state, "config"),
    JUPYTER_RUNTIME_DIR: join(state, "runtime"),
    JUPYTERLAB_SETTINGS_DIR: join(state, "lab", "user-settings"),
    JUPYTERLAB_WORKSPACES_DIR: join(state, "lab", "workspaces"),
    JUPYTER_PLATFORM_DIRS: "1",
    PYDEVD_DISABLE_FILE_VALIDATION: "1",
  };
}

/**
 * JupyterLab server command. Rooted at <repo>/notebooks (what the compose service mounts as the
 * student's workspace); lib/ stays reachable through the committed notebooks/lib symlink.
 * The token goes through JUPYTER_TOKEN, not argv, so it does not show up in `ps`.
 */
export function jupyterLabCommand(opts: {
  venv: string;
  repoRoot: string;
  host: string;
  port: number;
  token: string;
  jupyterPath: string;
  rootDir?: string;
  baseEnv?: NodeJS.ProcessEnv;
}): CommandLine {
  const env = jupyterEnv(opts, opts.baseEnv ?? process.env);
  env.JUPYTER_TOKEN = opts.token;
  return {
    cmd: join(opts.venv, "bin", "jupyter-lab"),
    args: [
      "--no-browser",
      `--ServerApp.ip=${opts.host}`,
      `--ServerApp.port=${opts.port}`,
      // Fail instead of silently moving to another port.
      "--ServerApp.port_retries=0",
      `--ServerApp.root_dir=${opts.rootDir ?? join(opts.repoRoot, "notebooks")}`,
      // Our machines run everything as root; harmless for a normal user.
      "--ServerApp.allow_root=True",
      "--MultiKernelManager.default_kernel_name=tslab",
      "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ],
    env,
  };
}

/** Command for stack/run_notebooks.py (headless execution through the real tslab kernel). */
export function runNotebooksCommand(opts: {
  venv: string;
  repoRoot: string;
  jupyterPath: string;
  out: string;
  notebooks: string[];
  repeat?: number;
  timeoutSeconds?: number;
  baseEnv?: NodeJS.ProcessEnv;
}): CommandLine {
  const args = [join(opts.repoRoot, "stack", "run_notebooks.py"), "--out", opts.out];
  if (opts.repeat !== undefined) args.push("--repeat", String(opts.repeat));
  if (opts.timeoutSeconds !== undefined) args.push("--timeout", String(opts.timeoutSeconds));
  args.push(...opts.notebooks);
  return {
    cmd: join(opts.venv, "bin", "python"),
    args,
    env: jupyterEnv(opts, opts.baseEnv ?? process.env),
  };
}

/**
 * PATH folders for running dbt: none when a dbt is already on PATH (the compose images, the
 * stack's JupyterLab), else the bin folder of the stack's Python environment (created if missing).
 */
export async function caminhosDoDbt(opts: { cacheDir: string; repoRoot: string }): Promise<string[]> {
  const noPath = (process.env.PATH ?? "").split(delimiter).some((d) => d && existsSync(join(d, "dbt")));
  if (noPath) return [];
  return [dirname((await installPython(opts)).bin("dbt"))];
}
