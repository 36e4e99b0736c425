// The whole kit type-checks in strict mode (tsc --noEmit over lib/, stack/ and tests/).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot } from "../lib/config";

test("tsc --noEmit reports no error", { timeout: 5 * 60_000 }, () => {
  const root = repoRoot();
  const result = spawnSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", root], {
    cwd: root,
    encoding: "utf8",
  });
  assert.equal(result.status, 0, result.stdout + result.stderr);
});
