// `npm run lint`: the kit's habits, checked. Biome (format + lint) over the TypeScript of lib/,
// cli/, stack/, tests/ and scripts/; the same formatter over every notebook code cell (cells are
// TypeScript too, and students read them); ruff over the Python files and sqlfluff over the dbt
// project (stack/lint-python.ts). `npm run lint -- --corrigir` applies the formatters' fixes.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { config } from "../lib/config";
import { lintPythonAndSql } from "../stack/lint-python";
import { ErroDeUso, executar } from "./comum";

interface Celula {
  notebook: string;
  indice: number;
  fonte: string;
}

interface Notebook {
  cells: { cell_type: string; source: string | string[] }[];
}

const fonteDe = (source: string | string[]) => (Array.isArray(source) ? source.join("") : source);

function biome(root: string, args: string[], cwd = root): { ok: boolean; saida: string } {
  const bin = join(root, "node_modules", "@biomejs", "biome", "bin", "biome");
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: "utf8" });
  return { ok: r.status === 0, saida: `${r.stdout}${r.stderr}`.trim() };
}

function celulasDeCodigo(root: string): Celula[] {
  const pasta = join(root, "notebooks");
  return readdirSync(pasta)
    .filter((f) => f.endsWith(".ipynb"))
    .sort()
    .flatMap((notebook) => {
      const nb = JSON.parse(readFileSync(join(pasta, notebook), "utf8")) as Notebook;
      return nb.cells.flatMap((c, indice) => (c.cell_type === "code" ? [{ notebook, indice, fonte: fonteDe(c.source) }] : []));
    });
}

/**
 * Formats every code cell with the repository's Biome settings, in one Biome run over a
 * scratch folder (one file per cell). Returns the cells whose text would change.
 */
function formatarCelulas(root: string, celulas: Celula[]): Map<Celula, string> {
  const pasta = mkdtempSync(join(tmpdir(), "liga-lint-"));
  try {
    writeFileSync(
      join(pasta, "biome.json"),
      readFileSync(join(root, "biome.json"), "utf8").replace(/"includes": \[[^\]]*\]/, '"includes": ["*.ts"]'),
    );
    for (const [i, c] of celulas.entries()) writeFileSync(join(pasta, `c${i}.ts`), c.fonte.endsWith("\n") ? c.fonte : `${c.fonte}\n`);
    const r = biome(root, ["format", "--write", "."], pasta);
    if (!r.ok) throw new Error(`Biome não conseguiu formatar as células dos notebooks:\n${r.saida}`);
    const mudadas = new Map<Celula, string>();
    celulas.forEach((c, i) => {
      const formatada = readFileSync(join(pasta, `c${i}.ts`), "utf8").replace(/\n$/, "");
      if (formatada !== c.fonte.replace(/\n$/, "")) mudadas.set(c, formatada);
    });
    return mudadas;
  } finally {
    rmSync(pasta, { recursive: true, force: true });
  }
}

/** Writes the formatted cells back, keeping nbformat's one-string-per-line `source`. */
function gravarCelulas(root: string, mudadas: Map<Celula, string>): void {
  const porNotebook = new Map<string, [Celula, string][]>();
  for (const par of mudadas) porNotebook.set(par[0].notebook, [...(porNotebook.get(par[0].notebook) ?? []), par]);
  for (const [notebook, pares] of porNotebook) {
    const arquivo = join(root, "notebooks", notebook);
    const nb = JSON.parse(readFileSync(arquivo, "utf8")) as Notebook;
    for (const [c, texto] of pares) nb.cells[c.indice]!.source = texto.split(/(?<=\n)/);
    writeFileSync(arquivo, `${JSON.stringify(nb, null, 1)}\n`);
  }
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const desconhecidas = args.filter((a) => a !== "--corrigir");
  if (desconhecidas.length) throw new ErroDeUso(`Opção desconhecida: ${desconhecidas.join(" ")}. Uso: npm run lint [-- --corrigir]`);
  const corrigir = args.includes("--corrigir");
  const { root } = config();
  let ok = true;

  const ts = biome(root, corrigir ? ["check", "--write", "."] : ["check", "."]);
  console.log(`TypeScript (Biome): ${ts.ok ? "ok" : "problemas"}`);
  if (!ts.ok) console.log(ts.saida);
  ok &&= ts.ok;

  const mudadas = formatarCelulas(root, celulasDeCodigo(root));
  if (corrigir && mudadas.size) gravarCelulas(root, mudadas);
  const celulasOk = corrigir || mudadas.size === 0;
  console.log(`Células dos notebooks (Biome): ${celulasOk ? "ok" : `${mudadas.size} célula(s) fora do formato`}`);
  for (const c of celulasOk ? [] : mudadas.keys()) console.log(`  ${c.notebook}, célula ${c.indice}`);
  ok &&= celulasOk;

  const py = await lintPythonAndSql();
  console.log(`Python (ruff) e SQL do dbt (sqlfluff): ${py.ok ? "ok" : "problemas"}`);
  if (!py.ok) console.log(py.output);
  ok &&= py.ok;
  return ok ? 0 : 1;
}

executar(main);
