// Every course notebook runs twice in a row through the real tslab kernel, against the
// running stack, with no error output; committed notebooks carry no outputs.
import assert from "node:assert/strict";
import { lstatSync, readFileSync, readlinkSync } from "node:fs";
import { basename, join } from "node:path";
import { before, describe, test } from "node:test";
import { config } from "../../lib/config";
import { contarLinhas } from "../../lib/oltp";
import { courseNotebooks, runNotebooks } from "../../stack/notebooks";
import { cacheDir } from "../../stack/proc";
import { installPython, installTslabKernel } from "../../stack/python";

const cfg = config();
const notebooks = courseNotebooks(cfg.root);

interface Notebook {
  metadata: { kernelspec?: { name: string } };
  cells: { cell_type: string; outputs?: unknown[]; execution_count?: number | null; source: string[] }[];
}

describe("committed notebooks", () => {
  test("the course has numbered notebooks, 00 and 01 at least", () => {
    const names = notebooks.map((n) => basename(n));
    assert.ok(
      names.some((n) => n.startsWith("00_")),
      names.join(", "),
    );
    assert.ok(
      names.some((n) => n.startsWith("01_")),
      names.join(", "),
    );
  });

  test("notebooks/lib links to ../lib, so notebooks import the kit's code", () => {
    const link = join(cfg.root, "notebooks", "lib");
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.equal(readlinkSync(link), "../lib");
  });

  for (const path of notebooks) {
    test(`${basename(path)} uses the tslab kernel and carries no outputs`, () => {
      const nb = JSON.parse(readFileSync(path, "utf8")) as Notebook;
      assert.equal(nb.metadata.kernelspec?.name, "tslab");
      for (const [i, cell] of nb.cells.entries()) {
        if (cell.cell_type !== "code") continue;
        assert.deepEqual(cell.outputs, [], `cell ${i} has outputs`);
        assert.equal(cell.execution_count ?? null, null, `cell ${i} has an execution count`);
      }
    });
  }
});

describe("notebooks executed through tslab", () => {
  let venv: string;
  let jupyterPath: string;

  before(async () => {
    const cache = cacheDir();
    const python = await installPython({ cacheDir: cache, repoRoot: cfg.root });
    venv = python.venv;
    jupyterPath = (await installTslabKernel({ cacheDir: cache, repoRoot: cfg.root, python: python.python })).jupyterPath;
  });

  // Notebooks that only read or re-apply idempotent SQL: a rerun must leave every count as it was.
  const storesNothingNew = /^0[01]_/;

  for (const path of notebooks) {
    test(`${basename(path)} runs twice in a row with no error output`, { timeout: 20 * 60_000 }, async () => {
      const before = await contarLinhas();
      const output = await runNotebooks(cfg, { venv, jupyterPath, notebooks: [path], repeat: 2 });
      assert.match(output, /Todos os notebooks passaram: 2 execuções/);
      if (storesNothingNew.test(basename(path))) assert.deepEqual(await contarLinhas(), before);
    });
  }
});
