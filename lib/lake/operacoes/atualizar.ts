// UPDATE: set columns on the rows matching a predicate, to constants or to values computed from
// each row, through the copy-on-write rewrite. A changed partition column moves the row: the
// rewritten file is split by partition like any write.
import * as arrow from "apache-arrow";
import { construir, leitor } from "../colunas";
import { type Linha, type Predicado, compilar, leitorDeLinhas } from "../condicoes";
import type { Instantaneo } from "../instantaneo";
import { type DataType, ErroLake } from "../protocolo";
import { type Chave, campo, paraChave } from "../tipos";
import { type Contexto, type ResultadoEscrita, exigirNaoSomenteAcrescimo, paraEscrita, textoDoPredicado } from "./comum";
import { commitReescrita, reescrever } from "./reescrita";

/** A value for `definir`, or a function computing it from the row. */
export type ValorOuFuncao = string | number | bigint | boolean | Date | Uint8Array | null | ((linha: Linha) => unknown);

/** A column's new value: a key computed once, or a function of the row. */
type NovoValor = { tipo: DataType; f?: (l: Linha) => unknown; k?: Chave | null };

/** Checks `definir` against the schema and converts its constants once. */
function novosValores(inst: Instantaneo, definir: Record<string, ValorOuFuncao>): Record<string, NovoValor> {
  if (!definir || typeof definir !== "object" || Object.keys(definir).length === 0) {
    throw new ErroLake("atualizar() precisa de definir: { coluna: valor } com pelo menos uma coluna.");
  }
  const novos: Record<string, NovoValor> = {};
  for (const [col, v] of Object.entries(definir)) {
    const f = campo(inst.esquema, col);
    if (typeof v === "function") novos[col] = { tipo: f.type, f: v as (l: Linha) => unknown };
    else if (v === null || v === undefined) {
      if (!f.nullable) throw new ErroLake(`A coluna '${col}' não aceita nulos (nullable: false).`);
      novos[col] = { tipo: f.type, k: null };
    } else novos[col] = { tipo: f.type, k: paraChave(f.type, v, `definir.${col}`) };
  }
  return novos;
}

/** The file's table with the new values on the matching rows. */
function transformador(inst: Instantaneo, novos: Record<string, NovoValor>): (t: arrow.Table, casa: Uint8Array) => arrow.Table {
  return (t, casa) => {
    const linhas = leitorDeLinhas(t, inst.esquema);
    const vetores: Record<string, arrow.Vector> = {};
    for (const f of inst.esquema.fields) {
      const vec = t.getChild(f.name)!;
      const novo = novos[f.name];
      if (!novo) {
        vetores[f.name] = vec;
        continue;
      }
      const ler = leitor(vec);
      vetores[f.name] = construir(f.type, t.numRows, (i) => {
        if (!casa[i]) return ler(i);
        if (!novo.f) return novo.k!;
        const v = novo.f(linhas(i));
        if (v === null || v === undefined) {
          if (!f.nullable) throw new ErroLake(`definir.${f.name} devolveu nulo, mas a coluna não aceita nulos.`);
          return null;
        }
        return paraChave(f.type, v, `definir.${f.name} (linha ${i})`);
      });
    }
    return new arrow.Table(vetores);
  };
}

/** Sets columns on the rows matching `onde`: definir: { coluna: valor | (linha) => valor }. */
export async function atualizar(
  ctx: Contexto,
  opcoes: { onde: Predicado; definir: Record<string, ValorOuFuncao> },
): Promise<ResultadoEscrita> {
  const inst = await paraEscrita(ctx);
  exigirNaoSomenteAcrescimo(ctx, inst, "atualizar");
  const { onde, definir } = opcoes;
  if (typeof onde !== "function") compilar(onde, inst.esquema, inst.metadata.partitionColumns);
  const rw = await reescrever(ctx, inst, onde, transformador(inst, novosValores(inst, definir)));
  return commitReescrita(ctx, inst, rw, {
    operacao: "UPDATE",
    parametros: { predicate: typeof onde === "function" ? "função" : textoDoPredicado(onde), set: Object.keys(definir) },
    onde,
    metricas: { numUpdatedRows: rw.linhasAfetadas },
  });
}
