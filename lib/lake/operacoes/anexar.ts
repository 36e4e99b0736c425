// Append (WRITE, mode Append): new files, no removes. A blind append reads nothing, so it never
// conflicts with other appends: two writers appending at once both land, in some order.
import { type Dados, conformar } from "../conformar";
import { type Contexto, type ResultadoEscrita, commitarAcrescimo, gravar, paraEscrita } from "./comum";

/** Adds rows (a blind append: never conflicts with other appends). */
export async function anexar(ctx: Contexto, dados: Dados): Promise<ResultadoEscrita> {
  const inst = await paraEscrita(ctx);
  const tabela = conformar(dados, inst.esquema);
  const g = await gravar(ctx, inst, tabela);
  return commitarAcrescimo(
    ctx,
    { leitura: inst, antes: [], operacao: "WRITE", parametros: { mode: "Append", partitionBy: inst.metadata.partitionColumns } },
    g,
  );
}
