// `npm run course`: the whole course headless — the stack up, then every notebook in order, with
// the exercises' solutions in the answer cells (LIGA_CURSO_SOLUCOES=1, see lib/exercicios), so
// every check must pass; the checks are recorded in curso.progresso with origin "curso".
import { config } from "../lib/config";
import { ErroServicoFora } from "../lib/erros";
import { courseNotebooks, runNotebooks } from "../stack/notebooks";
import { CommandError, stackDirs } from "../stack/proc";
import { installAll, stackUp } from "../stack/services";
import { executar } from "./comum";

async function main(): Promise<number> {
  const cfg = config();
  const report = await stackUp(cfg, stackDirs(cfg.root));
  const down = report.filter((h) => !h.ok);
  if (down.length) {
    const [primeiro] = down;
    throw new ErroServicoFora(
      primeiro.service,
      primeiro.address,
      `Serviços fora do ar: ${down.map((h) => `${h.service} (${h.detail})`).join("; ")}`,
    );
  }
  const { python, jupyterPath } = await installAll(cfg);
  const notebooks = courseNotebooks(cfg.root);
  console.log(`Executando ${notebooks.length} notebooks com o kernel tslab, com as soluções dos exercícios…`);
  try {
    await runNotebooks(cfg, { venv: python.venv, jupyterPath, notebooks, stream: true, solucoes: true });
  } catch (err) {
    // The runner already printed the notebook, the cell and the error text above.
    if (!(err instanceof CommandError)) throw err;
    console.error("\nO curso parou no notebook indicado acima; a cópia executada está em .course-output/.");
    return 1;
  }
  console.log("\nCurso executado do início ao fim. Cópias executadas e HTML em .course-output/");
  return 0;
}

executar(main);
