// The whole tree passes `npm run lint`: Biome over the TypeScript and the notebooks' code cells,
// ruff over the Python files, sqlfluff over the dbt project. Part of the unit lane, so a change
// that breaks the habits fails CI like any other test.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot } from "../../lib/config";

test("npm run lint passes on the whole tree", { timeout: 300_000 }, () => {
  const root = repoRoot();
  const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "cli", "lint.ts")], { cwd: root, encoding: "utf8" });
  const saida = `${r.stdout}${r.stderr}`;
  assert.match(saida, /TypeScript \(Biome\): ok/, saida);
  assert.match(saida, /Células dos notebooks \(Biome\): ok/, saida);
  assert.match(saida, /Python \(ruff\) e SQL do dbt \(sqlfluff\): ok/, saida);
  assert.equal(r.status, 0, saida);
});
