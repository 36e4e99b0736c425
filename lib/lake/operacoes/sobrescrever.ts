// Overwrite (WRITE, mode Overwrite): every live file is removed and the new rows added, in one
// version. With substituirOnde (Delta's replaceWhere) only the rows matching the conditions are
// replaced (rewritten away as a delete would), and every new row must match them too, so the
// overwrite cannot leak data outside the part it claims to replace.
import type * as arrow from "apache-arrow";
import { avaliador, type Condicao, compilar, leitorDeLinhas, podeConter } from "../condicoes";
import { type Dados, conformar } from "../conformar";
import type { Instantaneo } from "../instantaneo";
import { caminhoDecodificado } from "../log";
import { ErroLake } from "../protocolo";
import {
  type Contexto,
  type ResultadoEscrita,
  commitOuDescartar,
  exigirNaoSomenteAcrescimo,
  gravar,
  mostrarLinha,
  paraEscrita,
  removerDe,
  textoDoPredicado,
} from "./comum";
import { reescrever } from "./reescrita";

/** Refuses new rows outside the replaced part, naming the first one. */
function exigirDentro(tabela: arrow.Table, inst: Instantaneo, onde: Condicao[]): void {
  const ok = avaliador(onde, tabela, inst.esquema, inst.metadata.partitionColumns);
  for (let i = 0; i < tabela.numRows; i++) {
    if (ok(i)) continue;
    const linha = leitorDeLinhas(tabela, inst.esquema)(i);
    throw new ErroLake(
      `A linha ${i} dos dados não satisfaz substituirOnde (${textoDoPredicado(onde)}): ${mostrarLinha(linha)}. ` +
        "Com substituirOnde, todos os dados novos precisam estar dentro do trecho substituído.",
    );
  }
}

/**
 * Replaces the table's rows with `dados`; with `substituirOnde`, only the rows matching those
 * conditions (Delta's replaceWhere), and every new row must match them too.
 */
export async function sobrescrever(ctx: Contexto, dados: Dados, opcoes: { substituirOnde?: Condicao[] } = {}): Promise<ResultadoEscrita> {
  const inst = await paraEscrita(ctx);
  exigirNaoSomenteAcrescimo(ctx, inst, "sobrescrever");
  const tabela = conformar(dados, inst.esquema);
  const parts = inst.metadata.partitionColumns;
  const onde = opcoes.substituirOnde;
  if (onde) exigirDentro(tabela, inst, onde);
  const agora = Date.now();
  const reescrita = onde ? await reescrever(ctx, inst, onde, "excluir") : undefined;
  const removidos = reescrita ? reescrita.removidos : [...inst.arquivos.values()];
  const g = await gravar(ctx, inst, tabela);
  const novos = [...(reescrita?.adicionados ?? []), ...g.adds];
  const conds = onde ? compilar(onde, inst.esquema, parts) : undefined;
  const r = await commitOuDescartar(
    ctx,
    {
      leitura: inst,
      acoes: [...removidos.map((a) => ({ remove: removerDe(a, agora) })), ...novos.map((add) => ({ add }))],
      operacao: "WRITE",
      parametros: { mode: "Overwrite", partitionBy: parts, ...(onde ? { predicate: textoDoPredicado(onde) } : {}) },
      metricas: {
        numFiles: novos.length,
        numRemovedFiles: removidos.length,
        numOutputRows: g.linhas + (reescrita?.linhasMantidas ?? 0),
        numOutputBytes: g.bytes,
      },
      acrescimoCego: false,
      leuArquivo: conds ? (add) => podeConter(add, conds, inst.esquema) : undefined,
      arquivosLidos: new Set(removidos.map((a) => caminhoDecodificado(a.path))),
    },
    novos,
  );
  return {
    versao: r.versao,
    tentativas: r.tentativas,
    arquivosAdicionados: novos.length,
    arquivosRemovidos: removidos.length,
    linhasEscritas: g.linhas,
    bytesEscritos: g.bytes,
    linhasAfetadas: reescrita?.linhasAfetadas,
  };
}
