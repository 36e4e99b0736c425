// npm run pessoas -- --total 1000 [--seed 1]: the initial customer base (idempotent top-up).
import { garantirPessoas } from "../lib/geradores";
import { executar, fmt, lerArgumentos, numero } from "./comum";

const USO = `Uso: npm run pessoas -- --total N [--seed 1]

Garante que existam pelo menos N pessoas cadastradas (completa o que falta; rodar de novo não duplica).`;

executar(async () => {
  const a = lerArgumentos({ total: { type: "string" }, seed: { type: "string" } }, USO);
  const novas = await garantirPessoas(numero("total", a.total, 1000), numero("seed", a.seed, 1));
  console.log(novas ? `${fmt(novas)} pessoas cadastradas.` : "Nenhuma pessoa nova: o total já existia.");
});
