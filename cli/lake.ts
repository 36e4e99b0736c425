// npm run lake -- build [--prefixo P] [--camadas raw,trusted,refined] [--sem-cdc] [--sem-dw] [--inicio-cdc inicio|fim] [--timeout-cdc 30m]
// npm run lake -- spark [--prefixo P] [--memoria 2g]
import { isDeepStrictEqual } from "node:util";
import { rodarJobSpark } from "../stack/spark-job";
import {
  consultasDoLakehouse,
  construirLakehouse,
  normalizarRaiz,
  type CamadaBuild,
  type ResultadoRawTabela,
  type ResultadoRefinedTabela,
  type ResultadoTrustedTabela,
} from "../lib/lakehouse";
import { ErroDeUso, duracao, executar, fmt, lerArgumentos } from "./comum";

const USO = `Uso: npm run lake -- build [--prefixo PREFIXO] [--camadas raw,trusted,refined] [--sem-cdc] [--sem-dw]
                              [--inicio-cdc inicio|fim] [--timeout-cdc 30m] [--detalhes]
       npm run lake -- spark [--prefixo PREFIXO] [--memoria 2g]

Constrói o lakehouse no MinIO, de forma incremental:
  raw      eventos CDC do Kafka (payload do Debezium como chegou) e extrações do DW (marts.*),
           só acréscimo, particionados pela data de ingestão;
  trusted  estado atual de cada tabela do OLTP (MERGE dos eventos ainda não promovidos, exclusões
           aplicadas), tipado, com regras de qualidade (reprovados vão para trusted/quarentena)
           e dados pessoais pseudonimizados (HMAC-SHA256 com LAKE_PSEUDONIMO_SEGREDO);
  refined  itens_por_pessoa (um item por linha com pessoa, produto, local, dispositivo, regras de
           fraude e rótulo; particionada por dt_venda) e vendas_diarias (por dia e UF), depois de
           um portão de qualidade: se uma expectativa falha, nada entra em refined.
As marcas d'água ficam nas próprias tabelas: rodar duas vezes seguidas não muda nada na segunda.
--prefixo constrói tudo sob um prefixo dos buckets (para experimentar sem mexer nas suas camadas).
--inicio-cdc diz onde começa uma tabela raw de CDC nova: no início dos tópicos (padrão) ou no fim.

spark roda o job de delta_lake/ (PySpark + Delta, s3a no MinIO) sobre as três camadas, com as consultas
do curso, e confere se o Spark chegou nos mesmos números que o kit (lib/lakehouse/consultas.ts).`;

function linhaRaw(camada: string, r: ResultadoRawTabela): string {
  if (r.versao < 0) return `  ${camada}/${r.tabela}: não lida — ${r.observacao ?? "sem origem"}`;
  const o = r.observacao ? ` — ${r.observacao}` : "";
  if (r.linhas === 0) return `  ${camada}/${r.tabela}: ${r.criada ? "criada, vazia" : "nada novo"} (versão ${r.versao})${o}`;
  return `  ${camada}/${r.tabela}: +${fmt(r.linhas)} linhas em ${r.commits} commit(s), versão ${r.versao}${o}`;
}

/** --prefixo checked before anything is read or written (exit 2 on a bad one). */
function prefixo(valor: string | undefined): string | undefined {
  try {
    return valor === undefined ? undefined : normalizarRaiz(valor);
  } catch (e) {
    throw new ErroDeUso((e as Error).message);
  }
}

function linhaRefined(r: ResultadoRefinedTabela): string {
  if (r.commits === 0) return `  refined/${r.tabela}: ${r.criada ? "criada, vazia" : "nada novo"} (versão ${r.versao})`;
  return `  refined/${r.tabela}: ${fmt(r.inseridas)} inseridas, ${fmt(r.atualizadas)} atualizadas, ${fmt(r.excluidas)} excluídas — ${r.commits} commit(s), versão ${r.versao}`;
}

function linhaTrusted(r: ResultadoTrustedTabela): string {
  if (r.eventos === 0) return `  trusted/${r.tabela}: ${r.criada ? "criada, vazia" : "nada novo"} (versão ${r.versao})`;
  const partes = [
    `${fmt(r.eventos)} eventos`,
    `${fmt(r.inseridas)} inseridas`,
    `${fmt(r.atualizadas)} atualizadas`,
    `${fmt(r.excluidas)} excluídas`,
  ];
  if (r.quarentena) partes.push(`${fmt(r.quarentena)} em quarentena`);
  return `  trusted/${r.tabela}: ${partes.join(", ")} — ${r.commits ? `${r.commits} commit(s), versão ${r.versao}` : `sem mudança (versão ${r.versao})`}`;
}

async function spark(): Promise<void> {
  const a = lerArgumentos({ prefixo: { type: "string" }, memoria: { type: "string" } }, USO);
  if (a.memoria !== undefined && !/^\d+[mg]$/.test(a.memoria))
    throw new ErroDeUso(`--memoria inválida: "${a.memoria}". Esperado algo como 2g ou 512m.`);
  const raiz = prefixo(a.prefixo);
  console.log(`Rodando o job Spark de delta_lake/ sobre o lakehouse${raiz ? ` sob ${raiz}/` : ""}…`);
  const r = await rodarJobSpark({ raiz, memoria: a.memoria });
  console.log(r.relatorio);
  const kit = await consultasDoLakehouse({ raiz });
  const iguais = isDeepStrictEqual(r.resultado, kit);
  console.log(
    `Spark: ${fmt(r.segundos, 1)} s. ${iguais ? "Os números do Spark e do kit são iguais." : "ATENÇÃO: o Spark e o kit discordam."}`,
  );
  if (!iguais) process.exitCode = 1;
}

async function build(): Promise<void> {
  const a = lerArgumentos(
    {
      prefixo: { type: "string" },
      camadas: { type: "string" },
      "sem-cdc": { type: "boolean" },
      "sem-dw": { type: "boolean" },
      "inicio-cdc": { type: "string" },
      "timeout-cdc": { type: "string" },
      detalhes: { type: "boolean" },
    },
    USO,
  );
  const camadas = (a.camadas ?? "raw,trusted,refined").split(",").map((c) => c.trim());
  for (const c of camadas)
    if (!["raw", "trusted", "refined"].includes(c)) throw new ErroDeUso(`--camadas inválido: "${c}". Esperado raw, trusted e/ou refined.`);
  const inicio = a["inicio-cdc"];
  if (inicio !== undefined && inicio !== "inicio" && inicio !== "fim")
    throw new ErroDeUso(`--inicio-cdc inválido: "${inicio}". Esperado inicio ou fim.`);
  const raiz = prefixo(a.prefixo);
  console.log(`Construindo o lakehouse${raiz ? ` sob o prefixo ${raiz}/` : ""} (${camadas.join(" → ")})…`);
  const r = await construirLakehouse({
    raiz,
    camadas: camadas as CamadaBuild[],
    semCdc: a["sem-cdc"],
    semDw: a["sem-dw"],
    inicioCdc: inicio as "inicio" | "fim" | undefined,
    timeoutCdcMs: duracao("timeout-cdc", a["timeout-cdc"]),
    aoProgredir: a.detalhes ? (t) => console.log(`    ${t}`) : undefined,
  });
  if (r.rawCdc.length || r.rawDw.length) {
    console.log(`raw (${fmt(r.segundos.raw, 1)} s):`);
    for (const t of r.rawCdc) console.log(linhaRaw("raw/cdc", t));
    for (const t of r.rawDw) console.log(linhaRaw("raw/dw", t));
  }
  if (r.trusted.length) {
    console.log(`trusted (${fmt(r.segundos.trusted, 1)} s):`);
    for (const t of r.trusted) console.log(linhaTrusted(t));
  }
  if (r.refined) {
    const f = r.refined;
    const falhas = f.portao.verificacoes.filter((v) => !v.ok).length;
    console.log(
      `refined (${fmt(r.segundos.refined, 1)} s): ${fmt(f.pedidosRecalculados)} pedido(s) recalculado(s), ${fmt(f.pedidosRetidos)} retido(s) (itens não somam o total), ${fmt(f.itensAguardando)} item(ns) aguardando trusted`,
    );
    console.log(
      `  portão de qualidade: ${falhas ? `${falhas} falha(s)` : `${f.portao.verificacoes.length} expectativas ok`} sobre ${fmt(f.portao.linhas)} linha(s)`,
    );
    console.log(linhaRefined(f.itens));
    console.log(linhaRefined(f.diarias));
  }
  const todas = [...r.rawCdc, ...r.rawDw, ...r.trusted, ...(r.refined ? [r.refined.itens, r.refined.diarias] : [])];
  const commits = todas.reduce((s, t) => s + t.commits, 0);
  const criadas = todas.filter((t) => t.criada).length;
  const extra = criadas ? `, ${criadas} tabela(s) criada(s)` : "";
  console.log(
    commits === 0 && criadas === 0
      ? `Nada novo: nenhuma tabela mudou (${fmt(r.segundos.total, 1)} s).`
      : `Pronto: ${commits} commit(s) de dados${extra}, em ${fmt(r.segundos.total, 1)} s.`,
  );
}

executar(async () => {
  const comando = process.argv[2];
  if (comando !== "build" && comando !== "spark") throw new ErroDeUso(comando ? `comando desconhecido: ${comando}\n\n${USO}` : USO);
  process.argv.splice(2, 1);
  await (comando === "build" ? build() : spark());
});
