// `npm test`: brings the native stack up (installing what is missing), then runs every test
// file with node's test runner through tsx, one file at a time since they share the services.
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { config } from "../lib/config";
import { stackDirs } from "./proc";
import { stackUp } from "./services";

async function main(): Promise<number> {
  const cfg = config();
  const only = process.argv.slice(2);
  const report = await stackUp(cfg, stackDirs(cfg.root));
  const down = report.filter((h) => !h.ok);
  if (down.length) {
    console.error(`Serviços fora do ar: ${down.map((h) => `${h.service} (${h.detalhe})`).join("; ")}`);
    return 1;
  }
  const testDir = join(cfg.root, "tests");
  const files = readdirSync(testDir)
    .filter((f) => f.endsWith(".test.ts") && (only.length === 0 || only.some((o) => f.includes(o))))
    .sort()
    .map((f) => join(testDir, f));
  // Asynchronous, so this process keeps reaping the services it started while the tests run.
  const runner = spawn(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=1", "--test-reporter=spec", ...files], {
    cwd: cfg.root,
    stdio: "inherit",
  });
  return new Promise((resolve) => runner.on("close", (code) => resolve(code ?? 1)));
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`\nErro: ${err.message}`);
    process.exit(1);
  },
);
