// Executes the course notebooks headless through the real tslab kernel (stack/run_notebooks.py).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../lib/config";
import { run } from "./proc";

/** The numbered notebooks, in course order. */
export function courseNotebooks(root: string): string[] {
  const dir = join(root, "notebooks");
  return readdirSync(dir)
    .filter((f) => /^\d{2}.*\.ipynb$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

export interface NotebookRun {
  python: string;
  jupyterPath: string;
  notebooks: string[];
  repeat?: number;
  outDir?: string;
  /** Echo the runner's progress (the course command) or keep it for the error (tests). */
  stream?: boolean;
}

/** Runs notebooks in order; rejects naming the notebook, the cell and the real error text. */
export function runNotebooks(cfg: Config, opts: NotebookRun): Promise<string> {
  const args = [
    join(cfg.root, "stack", "run_notebooks.py"),
    "--out",
    opts.outDir ?? join(cfg.root, ".course-output"),
    "--repeat",
    String(opts.repeat ?? 1),
    ...opts.notebooks,
  ];
  return run(opts.python, args, {
    cwd: cfg.root,
    env: { JUPYTER_PATH: opts.jupyterPath, PYDEVD_DISABLE_FILE_VALIDATION: "1", LIGA_SUDOERS_HOME: cfg.root },
    stream: opts.stream,
  });
}
