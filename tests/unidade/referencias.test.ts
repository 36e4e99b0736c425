// Every path the kit's text names exists: README files, notebooks' prose and code, comments in
// code. A file renamed or split must take its references along, or this test names them.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { repoRoot } from "../../lib/config";

const root = repoRoot();
const PASTAS =
  "lib|cli|stack|tests|scripts|dbt_project|airflow_dags|delta_lake|docker|debezium-init|dw-init|postgresql-init|notebooks|quickstart";
// A path starts a token (not inside another path or a URL) and ends before punctuation.
const CAMINHO = new RegExp(`(?<![\\w./-])(?:${PASTAS})/[\\w.@/-]*[\\w/]`, "g");

/** Paths under the repository that are produced at run time, not committed. */
const GERADOS = [/^dbt_project\/(target|logs)\b/, /^notebooks\/lib\b/, /^tests\/.*\*/, /<|\{/];

/** A path names a file or folder from the repository root, or from the folder of the text. */
function existe(caminho: string, arquivo: string): boolean {
  const limpo = caminho.replace(/\/$/, "");
  const bases = [root, join(root, dirname(arquivo))];
  const formas = [limpo, `${limpo}.ts`, `${limpo}.test.ts`, join(limpo, "index.ts")];
  return bases.some((b) => formas.some((f) => existsSync(join(b, f))));
}

test("every repository path named in docs, notebooks and comments exists", () => {
  const arquivos = execFileSync("git", ["ls-files", "*.md", "*.ts", "*.py", "*.ipynb", "*.yml", "*.sql", "*.sh", ".env.example"], {
    cwd: root,
    encoding: "utf8",
  })
    .split("\n")
    .filter((f) => f && !f.startsWith("lib/data/") && existsSync(join(root, f)));
  assert.ok(arquivos.length > 50, `${arquivos.length} files read`);
  const quebradas: string[] = [];
  for (const arquivo of arquivos) {
    const texto = readFileSync(join(root, arquivo), "utf8");
    for (const m of texto.matchAll(CAMINHO)) {
      const caminho = m[0].replace(/[.]+$/, "");
      if (GERADOS.some((g) => g.test(caminho)) || existe(caminho, arquivo)) continue;
      quebradas.push(`${arquivo}: ${caminho}`);
    }
  }
  assert.deepEqual(quebradas, []);
});
