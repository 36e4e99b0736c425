// DELETE: the rows matching a predicate go away, through the copy-on-write rewrite.
import { type Predicado, compilar } from "../condicoes";
import { type Contexto, type ResultadoEscrita, exigirNaoSomenteAcrescimo, paraEscrita, textoDoPredicado } from "./comum";
import { commitReescrita, reescrever } from "./reescrita";

/** Deletes the rows matching `onde` (conditions or a row function). */
export async function excluir(ctx: Contexto, onde: Predicado): Promise<ResultadoEscrita> {
  const inst = await paraEscrita(ctx);
  exigirNaoSomenteAcrescimo(ctx, inst, "excluir");
  // Compiling first refuses unknown columns and operators before any file is read.
  if (typeof onde !== "function") compilar(onde, inst.esquema, inst.metadata.partitionColumns);
  const rw = await reescrever(ctx, inst, onde, "excluir");
  return commitReescrita(ctx, inst, rw, {
    operacao: "DELETE",
    parametros: { predicate: typeof onde === "function" ? "função" : textoDoPredicado(onde) },
    onde,
    metricas: { numDeletedRows: rw.linhasAfetadas },
  });
}
