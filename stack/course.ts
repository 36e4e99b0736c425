// `npm run course`: the whole course headless — the stack up, then every notebook in order.
import { config } from "../lib/config";
import { courseNotebooks, runNotebooks } from "./notebooks";
import { CommandError, stackDirs } from "./proc";
import { installAll, stackUp } from "./services";

async function main(): Promise<void> {
  const cfg = config();
  const report = await stackUp(cfg, stackDirs(cfg.root));
  const down = report.filter((h) => !h.ok);
  if (down.length) throw new Error(`Serviços fora do ar: ${down.map((h) => `${h.service} (${h.detail})`).join("; ")}`);
  const { python, jupyterPath } = await installAll(cfg);
  const notebooks = courseNotebooks(cfg.root);
  console.log(`Executando ${notebooks.length} notebooks com o kernel tslab…`);
  await runNotebooks(cfg, { venv: python.venv, jupyterPath, notebooks, stream: true });
  console.log("\nCurso executado do início ao fim. Cópias executadas e HTML em .course-output/");
}

main().catch((err: Error) => {
  // The runner already printed the notebook, the cell and the error text above.
  if (err instanceof CommandError) console.error("\nO curso parou no notebook indicado acima; a cópia executada está em .course-output/.");
  else console.error(`\nErro: ${err.message}`);
  process.exit(1);
});
