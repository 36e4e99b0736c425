// RESTORE: makes the table's content that of an earlier version, as a new commit (history is
// kept): the files only the old version has are added back, the ones only the current version
// has are removed. Refused, with the table unchanged, when vacuum already deleted old files.
import type { AlvoLeitura } from "../instantaneo";
import { caminhoDecodificado } from "../log";
import { type Action, ErroLake } from "../protocolo";
import { type Contexto, type ResultadoEscrita, commit, exigirNaoSomenteAcrescimo, paraEscrita, removerDe } from "./comum";

/** Makes the table's content that of an earlier version (a new commit; history is kept). */
export async function restaurar(ctx: Contexto, alvo: AlvoLeitura): Promise<ResultadoEscrita> {
  if (alvo.versao === undefined && alvo.timestamp === undefined) throw new ErroLake("restaurar() precisa de { versao } ou { timestamp }.");
  const atual = await paraEscrita(ctx);
  exigirNaoSomenteAcrescimo(ctx, atual, "restaurar");
  const antigo = await ctx.instantaneo(alvo);
  const adicionar = [...antigo.arquivos].filter(([k]) => !atual.arquivos.has(k)).map(([, a]) => a);
  const remover = [...atual.arquivos].filter(([k]) => !antigo.arquivos.has(k)).map(([, a]) => a);
  const existentes = new Set((await ctx.arm.listar("")).map((o) => o.chave));
  const sumidos = adicionar.filter((a) => !existentes.has(caminhoDecodificado(a.path)));
  if (sumidos.length) {
    throw new ErroLake(
      `Não dá para restaurar a versão ${antigo.versao}: ${sumidos.length} arquivo(s) dela já foram apagados pelo vacuum ` +
        `(por exemplo ${sumidos[0]!.path}). A tabela não mudou.`,
    );
  }
  const agora = Date.now();
  const acoes: Action[] = [];
  const mudouEsquema =
    antigo.metadata.schemaString !== atual.metadata.schemaString ||
    JSON.stringify(antigo.metadata.partitionColumns) !== JSON.stringify(atual.metadata.partitionColumns);
  if (mudouEsquema) acoes.push({ metaData: antigo.metadata });
  acoes.push(...remover.map((a) => ({ remove: removerDe(a, agora) })));
  acoes.push(...adicionar.map((a) => ({ add: { ...a, dataChange: true } })));
  const r = await commit(ctx, {
    leitura: atual,
    acoes,
    operacao: "RESTORE",
    parametros: { version: antigo.versao, timestamp: alvo.timestamp !== undefined ? new Date(antigo.timestamp).toISOString() : null },
    metricas: { numRestoredFiles: adicionar.length, numRemovedFiles: remover.length },
    acrescimoCego: false,
  });
  return {
    versao: r.versao,
    tentativas: r.tentativas,
    arquivosAdicionados: adicionar.length,
    arquivosRemovidos: remover.length,
    linhasEscritas: 0,
    bytesEscritos: 0,
  };
}
