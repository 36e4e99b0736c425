// The copy-on-write rewrite behind delete, update and overwrite with replaceWhere: every file
// that may hold matching rows is read; files with no match are left alone; the others are
// removed and their rows written again, minus (delete) or changed in (update) the matches.
// Files that lie entirely inside a partition predicate are dropped without being read.
import type * as arrow from "apache-arrow";
import { type Predicado, avaliador, compilar, contemTudo, podeConter } from "../condicoes";
import type { Instantaneo } from "../instantaneo";
import { arquivosCandidatos, emParalelo, filtrarTabela, lerArquivo } from "../leitura";
import { caminhoDecodificado } from "../log";
import type { Add } from "../protocolo";
import {
  type Contexto,
  type ResultadoEscrita,
  commitOuDescartar,
  descartar,
  gravar,
  linhasDoArquivo,
  nadaGravado,
  removerDe,
} from "./comum";

/** What to do with a file's rows: drop the matches, or map the file given its match mask. */
export type AcaoDeReescrita = "excluir" | ((t: arrow.Table, casa: Uint8Array) => arrow.Table);

export interface Reescrita {
  removidos: Add[];
  adicionados: Add[];
  /** Rows that matched (deleted or updated). */
  linhasAfetadas: number;
  /** Rows a delete kept in the files it rewrote. */
  linhasMantidas: number;
  /** Every file read or considered: a concurrent remove of any of them is a conflict. */
  lidos: Add[];
}

/** The match mask of a file's rows, and how many matched. */
function mascara(t: arrow.Table, inst: Instantaneo, onde: Predicado): { casa: Uint8Array; n: number } {
  const ok = avaliador(onde, t, inst.esquema, inst.metadata.partitionColumns);
  const casa = new Uint8Array(t.numRows);
  let n = 0;
  for (let i = 0; i < t.numRows; i++) {
    if (!ok(i)) continue;
    casa[i] = 1;
    n++;
  }
  return { casa, n };
}

/**
 * Rewrites the files holding rows that match `onde`: "excluir" drops them, a function
 * transforms the file's table given the matching row mask.
 */
export async function reescrever(ctx: Contexto, inst: Instantaneo, onde: Predicado, acao: AcaoDeReescrita): Promise<Reescrita> {
  const candidatos = arquivosCandidatos(inst, onde);
  const conds = typeof onde === "function" ? undefined : compilar(onde, inst.esquema, inst.metadata.partitionColumns);
  const r: Reescrita = { removidos: [], adicionados: [], linhasAfetadas: 0, linhasMantidas: 0, lidos: candidatos };
  const todas = inst.esquema.fields.map((f) => f.name);
  try {
    await emParalelo(candidatos, 4, async (add) => {
      if (acao === "excluir" && conds && contemTudo(add, conds, inst.esquema)) {
        r.removidos.push(add);
        r.linhasAfetadas += linhasDoArquivo(add) ?? 0;
        return;
      }
      const t = await lerArquivo(ctx.arm, inst, add, todas);
      const { casa, n } = mascara(t, inst, onde);
      if (n === 0) return;
      r.linhasAfetadas += n;
      r.removidos.push(add);
      let saida: arrow.Table;
      if (acao === "excluir") {
        const manter: number[] = [];
        for (let i = 0; i < t.numRows; i++) if (!casa[i]) manter.push(i);
        saida = filtrarTabela(t, inst.esquema, manter);
        r.linhasMantidas += saida.numRows;
      } else saida = acao(t, casa);
      if (saida.numRows > 0) r.adicionados.push(...(await gravar(ctx, inst, saida)).adds);
    });
  } catch (err) {
    await descartar(ctx, r.adicionados);
    throw err;
  }
  return r;
}

/** Commits a rewrite (DELETE, UPDATE), or nothing when no row matched. */
export async function commitReescrita(
  ctx: Contexto,
  inst: Instantaneo,
  rw: Reescrita,
  op: { operacao: string; parametros: Record<string, unknown>; onde: Predicado; metricas: Record<string, number> },
): Promise<ResultadoEscrita> {
  if (rw.removidos.length === 0 && rw.adicionados.length === 0) return { ...nadaGravado(inst.versao), linhasAfetadas: 0 };
  const agora = Date.now();
  const conds = typeof op.onde === "function" ? undefined : compilar(op.onde, inst.esquema, inst.metadata.partitionColumns);
  const r = await commitOuDescartar(
    ctx,
    {
      leitura: inst,
      acoes: [...rw.removidos.map((a) => ({ remove: removerDe(a, agora) })), ...rw.adicionados.map((add) => ({ add }))],
      operacao: op.operacao,
      parametros: op.parametros,
      metricas: { numRemovedFiles: rw.removidos.length, numAddedFiles: rw.adicionados.length, ...op.metricas },
      acrescimoCego: false,
      leuArquivo: conds ? (add) => podeConter(add, conds, inst.esquema) : undefined,
      arquivosLidos: new Set(rw.lidos.map((a) => caminhoDecodificado(a.path))),
    },
    rw.adicionados,
  );
  return {
    versao: r.versao,
    tentativas: r.tentativas,
    arquivosAdicionados: rw.adicionados.length,
    arquivosRemovidos: rw.removidos.length,
    linhasEscritas: rw.adicionados.reduce((s, a) => s + (linhasDoArquivo(a) || 0), 0),
    bytesEscritos: rw.adicionados.reduce((s, a) => s + a.size, 0),
    linhasAfetadas: rw.linhasAfetadas,
  };
}
