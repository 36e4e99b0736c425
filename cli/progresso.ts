// `npm run progresso` / `./liga progresso`: the student's progress in the exercises, per lesson,
// read from curso.progresso in the OLTP database (lib/exercicios).
import { connect } from "../lib/db";
import { EXERCICIOS, progressoNoBanco, relatorioDeProgresso } from "../lib/exercicios/index";
import { executar, lerArgumentos } from "./comum";

async function main(): Promise<number> {
  lerArgumentos({}, "Uso: ./liga progresso (ou npm run progresso)");
  // Reach the database first, so a stack that is down is exit code 2 with the address tried.
  await (await connect("oltp")).end();
  console.log(relatorioDeProgresso(EXERCICIOS, await progressoNoBanco().registros()));
  return 0;
}

executar(main);
