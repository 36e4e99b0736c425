// Executes the course notebooks headless through the real tslab kernel (stack/run_notebooks.py).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../lib/config";
import { VARIAVEL_SOLUCOES } from "../lib/exercicios/tipos";
import { run } from "./proc";
import { runNotebooksCommand } from "./python";

/** The numbered notebooks, in course order. */
export function courseNotebooks(root: string): string[] {
  const dir = join(root, "notebooks");
  return readdirSync(dir)
    .filter((f) => /^\d{2}.*\.ipynb$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

export interface NotebookRun {
  venv: string;
  jupyterPath: string;
  notebooks: string[];
  repeat?: number;
  /** Echo the runner's progress (the course command) or keep it for the error (tests). */
  stream?: boolean;
  /**
   * Run with the exercises' solutions in the answer cells (lib/exercicios `resposta`): the course
   * run. Without it the answer cells keep their stubs and every check reports pending.
   */
  solucoes?: boolean;
}

/** Runs notebooks in order; rejects naming the notebook, the cell and the real error text. */
export function runNotebooks(cfg: Config, opts: NotebookRun): Promise<string> {
  const command = runNotebooksCommand({
    venv: opts.venv,
    repoRoot: cfg.root,
    jupyterPath: opts.jupyterPath,
    out: join(cfg.root, ".course-output"),
    notebooks: opts.notebooks,
    repeat: opts.repeat,
    baseEnv: { ...process.env, LIGA_SUDOERS_HOME: cfg.root, [VARIAVEL_SOLUCOES]: opts.solucoes ? "1" : "" },
  });
  return run(command.cmd, command.args, { cwd: cfg.root, env: command.env, replaceEnv: true, stream: opts.stream });
}
