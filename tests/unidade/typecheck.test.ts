// The whole kit type-checks in strict mode (tsc --noEmit over lib/, stack/ and tests/).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { repoRoot } from "../../lib/config";

test("tsc --noEmit reports no error", { timeout: 5 * 60_000 }, () => {
  const root = repoRoot();
  const result = spawnSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", root], {
    cwd: root,
    encoding: "utf8",
  });
  assert.equal(result.status, 0, result.stdout + result.stderr);
});

// tslab resolves "./x" to x.js only, never to x/index: a value import of a folder from lib/
// (which notebooks load) fails in the kernel even though tsc and tsx accept it.
test("lib/ never imports a folder by its bare name (tslab cannot resolve it)", () => {
  const root = repoRoot();
  const pastas: string[] = [];
  const visitar = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) visitar(p);
      else if (p.endsWith(".ts")) {
        for (const m of readFileSync(p, "utf8").matchAll(/^import (?!type )[^;]*? from "(\.[^"]+)";/gms)) {
          const alvo = resolve(dirname(p), m[1]!);
          if (!existsSync(`${alvo}.ts`) && existsSync(join(alvo, "index.ts"))) pastas.push(`${relative(root, p)}: "${m[1]}"`);
        }
      }
    }
  };
  visitar(join(root, "lib"));
  assert.deepEqual(pastas, [], 'use "<pasta>/index"');
});
