// npm run dbt -- <comando do dbt> [opções do dbt]   e.g. build, build --select fato_itens_pedido+, docs generate
import { dbt } from "../lib/dbt";
import { prepararDw } from "../lib/dw";
import { caminhosDoDbt } from "../stack/python";
import { cacheDir } from "../stack/proc";
import { config } from "../lib/config";
import { ErroDeUso, executar, fmt } from "./comum";

const USO = `Uso: npm run dbt -- <comando> [opções do dbt]

Roda o dbt no projeto dbt_project/ contra o DW da stack (endereço e senha vêm do .env).
Antes, prepara o DW (idempotente): o servidor postgres_fdw do OLTP, os esquemas oltp e
oltp_gabarito e os polígonos das UFs. Exemplos:
  npm run dbt -- build
  npm run dbt -- build --select fato_itens_pedido+
  npm run dbt -- docs generate`;

executar(async () => {
  const args = process.argv.slice(2);
  if (args.length === 0 || args[0] === "--ajuda") throw new ErroDeUso(`Diga qual comando do dbt rodar.\n\n${USO}`);
  const caminhos = await caminhosDoDbt({ cacheDir: cacheDir(), repoRoot: config().root });
  const dw = await prepararDw();
  console.log(`DW preparado: ${dw.tabelasExternas.length} tabelas externas do OLTP, ${dw.ufs} UFs.`);
  const r = await dbt(args, { caminhos });
  const falhas = r.resultados.filter((n) => !["success", "pass"].includes(n.status));
  console.log(
    `${r.comando}: ${fmt(r.resultados.length)} nós, ${fmt(falhas.length)} com problema, ${fmt(r.segundos, 1)} s` +
      (r.codigo ? ` — código de saída ${r.codigo}.` : "."),
  );
  if (r.codigo !== 0) {
    const nomes = falhas.map((n) => `${n.nome} (${n.status})`).join(", ");
    throw new Error(`o dbt terminou com o código ${r.codigo}${nomes ? `: ${nomes}` : ""}. Veja o log acima.`);
  }
});
