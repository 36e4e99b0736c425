// npm run qualidade: the data-quality gate after `dbt build`; exit 1 when a check fails.
import { verificarQualidade } from "../lib/qualidade";
import { executar, lerArgumentos } from "./comum";

const USO = `Uso: npm run qualidade

Confere o DW depois do dbt build: pedidos, itens e receita do star schema batem com o OLTP, e as
taxas de fraude (gabarito e regras) estão na faixa esperada. Sai com código 1 se algo falhar.`;

executar(async () => {
  lerArgumentos({}, USO);
  const verificacoes = await verificarQualidade();
  const largura = Math.max(...verificacoes.map((v) => v.nome.length));
  for (const v of verificacoes)
    console.log(`${v.ok ? "ok   " : "FALHA"}  ${v.nome.padEnd(largura)}  ${v.valor}  (esperado: ${v.esperado})`);
  const falhas = verificacoes.filter((v) => !v.ok);
  if (falhas.length)
    throw new Error(
      `o portão de qualidade reprovou ${falhas.length} de ${verificacoes.length} verificações: ${falhas.map((v) => v.nome).join("; ")}.`,
    );
  console.log(`Portão de qualidade aprovado: ${verificacoes.length} verificações.`);
});
