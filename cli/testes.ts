// `npm test`: the unit lane (tests/unidade, no service needed), then the native stack up
// (installing what is missing) and the integration lane (tests/integracao) against it.
// `npm run test:unidade`: the unit lane alone, without touching the stack.
// Positional arguments filter test files by substring of their name, in both lanes.
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { config } from "../lib/config";
import { stackDirs } from "../stack/proc";
import { stackUp } from "../stack/services";
import { ErroDeUso, executar } from "./comum";

type Lane = "unidade" | "integracao";

function testFiles(root: string, lane: Lane, only: string[]): string[] {
  const dir = join(root, "tests", lane);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".test.ts") && (only.length === 0 || only.some((o) => f.includes(o))))
    .sort()
    .map((f) => join(dir, f));
}

/**
 * Unit files share nothing, so they run two at a time; integration files share the services
 * and run one at a time. Asynchronous, so this process keeps reaping the services it started.
 */
function runFiles(root: string, files: string[], concurrency: number): Promise<number> {
  const runner = spawn(
    process.execPath,
    ["--import", "tsx", "--test", `--test-concurrency=${concurrency}`, "--test-reporter=spec", ...files],
    {
      cwd: root,
      stdio: "inherit",
    },
  );
  return new Promise((resolve) => runner.on("close", (code) => resolve(code ?? 1)));
}

async function main(): Promise<number> {
  const cfg = config();
  const lanes: Lane[] = process.argv[2] === "--unidade" ? ["unidade"] : ["unidade", "integracao"];
  const only = process.argv.slice(2).filter((a) => a !== "--unidade");
  const unit = testFiles(cfg.root, "unidade", only);
  const integration = lanes.includes("integracao") ? testFiles(cfg.root, "integracao", only) : [];
  if (unit.length + integration.length === 0) {
    throw new ErroDeUso(`Nenhum arquivo de teste corresponde a: ${only.join(", ")}.`);
  }
  let code = 0;
  if (unit.length) {
    console.log(`\n— testes de unidade (${unit.length} arquivos, sem serviços) —\n`);
    code = await runFiles(cfg.root, unit, 2);
  }
  if (integration.length) {
    const report = await stackUp(cfg, stackDirs(cfg.root));
    const down = report.filter((h) => !h.ok);
    if (down.length) {
      console.error(`Serviços fora do ar: ${down.map((h) => `${h.service} (${h.detail})`).join("; ")}`);
      return 1;
    }
    console.log(`\n— testes de integração (${integration.length} arquivos, contra os serviços reais) —\n`);
    code = Math.max(code, await runFiles(cfg.root, integration, 1));
  }
  return code;
}

executar(main);
