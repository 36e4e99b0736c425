// The reader: from a snapshot's live files to one Arrow table in the schema's types. Files are
// pruned by partition value and skipped by min/max stats before any byte is fetched; partition
// columns (not stored in the Parquet files) come back from the log; columns a file lacks are
// nulls; other engines' physical types (INT96 or nanosecond timestamps, other decimal widths)
// are converted.
import * as arrow from "apache-arrow";
import type { Armazenamento } from "./armazenamento";
import { constante, construir, selecionar } from "./colunas";
import { type Predicado, avaliador, compilar, podeConter } from "./condicoes";
import { castar } from "./conformar";
import type { Instantaneo } from "./instantaneo";
import { caminhoDecodificado } from "./log";
import { colunasDoParquet, lerParquet } from "./parquet";
import { type Add, type StructType, ErroLake } from "./protocolo";
import { lerParticao } from "./serializacao";
import { arrowCanonico, campo, esquemaArrow, tipoArrow } from "./tipos";

export interface OpcoesLeitura {
  /** Time travel: a version, or an instant (the last version committed at or before it). */
  versao?: number;
  timestamp?: Date | string | number;
  /** Columns to return (default: all, in schema order). */
  colunas?: string[];
  /** Only rows matching; conditions also prune and skip files. */
  onde?: Predicado;
}

export interface ResultadoLeitura {
  tabela: arrow.Table;
  versao: number;
  arquivosTotais: number;
  arquivosLidos: number;
  /** Files never fetched: pruned by partition or skipped by stats. */
  arquivosIgnorados: number;
  bytesLidos: number;
  /** Size of every active data file of the version (what a full scan would fetch). */
  bytesTotais: number;
}

/** Reads one data file with the requested columns, converted to the schema's Arrow types. */
export async function lerArquivo(arm: Armazenamento, inst: Instantaneo, add: Add, colunas: string[]): Promise<arrow.Table> {
  const bytes = await arm.ler(caminhoDecodificado(add.path));
  return tabelaDoArquivo(bytes, inst.esquema, inst.metadata.partitionColumns, add, colunas);
}

function tabelaDoArquivo(bytes: Uint8Array, esquema: StructType, particoes: string[], add: Add, colunas: string[]): arrow.Table {
  const noArquivo = colunasDoParquet(bytes);
  const fisicas = colunas.filter((c) => !particoes.includes(c) && noArquivo.includes(c));
  const t = lerParquet(bytes, fisicas.length ? fisicas : noArquivo.slice(0, 1));
  const n = t.numRows;
  const vetores: Record<string, arrow.Vector> = {};
  for (const nome of colunas) {
    const f = campo(esquema, nome);
    if (particoes.includes(nome)) {
      vetores[nome] = constante(f.type, lerParticao(f.type, add.partitionValues[nome], nome), n);
      continue;
    }
    const vec = fisicas.includes(nome) ? t.getChild(nome) : null;
    if (!vec) {
      vetores[nome] = construir(f.type, n, () => null);
      continue;
    }
    if (arrowCanonico(vec.type, f.type)) {
      const alvo = tipoArrow(f.type);
      // Same layout, maybe another time zone label ("+00:00" vs "UTC"): relabel, no copy.
      vetores[nome] = String(vec.type) === String(alvo) ? vec : arrow.makeVector(vec.data.map((d) => d.clone(alvo as never)));
    } else vetores[nome] = castar(vec, f.type, nome);
  }
  return alinhar(new arrow.Table(vetores), esquemaArrow(esquema, colunas));
}

/** Re-labels a table's batches with the exact schema so tables from many files concatenate. */
function alinhar(t: arrow.Table, schema: arrow.Schema): arrow.Table {
  const batches = t.batches.map(
    (b) =>
      new arrow.RecordBatch(
        schema,
        arrow.makeData({ type: new arrow.Struct(schema.fields), length: b.numRows, nullCount: 0, children: b.data.children }),
      ),
  );
  return new arrow.Table(schema, batches);
}

export function juntarTabelas(tabelas: arrow.Table[], schema: arrow.Schema): arrow.Table {
  const batches = tabelas.flatMap((t) => t.batches).filter((b) => b.numRows > 0);
  if (batches.length === 0) {
    // Arrow JS needs at least one batch to hand out columns.
    const vazio = arrow.makeData({
      type: new arrow.Struct(schema.fields),
      length: 0,
      nullCount: 0,
      children: schema.fields.map((f) => arrow.makeData({ type: f.type, length: 0 } as never)),
    });
    return new arrow.Table(schema, [new arrow.RecordBatch(schema, vazio)]);
  }
  return new arrow.Table(schema, batches);
}

/** Rows of `t` at `indices`, in canonical types. */
export function filtrarTabela(t: arrow.Table, esquema: StructType, indices: number[]): arrow.Table {
  const vetores: Record<string, arrow.Vector> = {};
  const nomes = t.schema.fields.map((f) => f.name);
  for (const nome of nomes) vetores[nome] = selecionar(t.getChild(nome)!, campo(esquema, nome).type, indices);
  return alinhar(new arrow.Table(vetores), esquemaArrow(esquema, nomes));
}

/** Runs `f` over `itens` with at most `limite` at a time, keeping order. */
export async function emParalelo<T, R>(itens: T[], limite: number, f: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const saida: R[] = new Array(itens.length);
  let proximo = 0;
  const trabalhador = async () => {
    while (proximo < itens.length) {
      const i = proximo++;
      saida[i] = await f(itens[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limite, itens.length) }, trabalhador));
  return saida;
}

/** Files of a snapshot that may hold rows matching `onde` (all files for a function predicate). */
export function arquivosCandidatos(inst: Instantaneo, onde?: Predicado): Add[] {
  const todos = [...inst.arquivos.values()];
  if (!onde || typeof onde === "function") return todos;
  const conds = compilar(onde, inst.esquema, inst.metadata.partitionColumns);
  return todos.filter((a) => podeConter(a, conds, inst.esquema));
}

export async function lerTabela(arm: Armazenamento, inst: Instantaneo, opcoes: OpcoesLeitura = {}): Promise<ResultadoLeitura> {
  const colunas = opcoes.colunas ?? inst.esquema.fields.map((f) => f.name);
  if (!Array.isArray(colunas) || colunas.length === 0) throw new ErroLake("colunas deve ser uma lista com pelo menos uma coluna.");
  for (const c of colunas) campo(inst.esquema, c);
  const candidatos = arquivosCandidatos(inst, opcoes.onde);
  // Columns the filter needs are read too, then dropped.
  const usadas = new Set(colunas);
  if (opcoes.onde) {
    if (typeof opcoes.onde === "function") for (const f of inst.esquema.fields) usadas.add(f.name);
    else for (const c of opcoes.onde) usadas.add(c[0]);
  }
  const lidas = inst.esquema.fields.map((f) => f.name).filter((n) => usadas.has(n));
  let bytesLidos = 0;
  const tabelas = await emParalelo(candidatos, 8, async (add) => {
    const bytes = await arm.ler(caminhoDecodificado(add.path));
    bytesLidos += bytes.length;
    let t = tabelaDoArquivo(bytes, inst.esquema, inst.metadata.partitionColumns, add, lidas);
    if (opcoes.onde) {
      const ok = avaliador(opcoes.onde, t, inst.esquema, inst.metadata.partitionColumns);
      const indices: number[] = [];
      for (let i = 0; i < t.numRows; i++) if (ok(i)) indices.push(i);
      if (indices.length !== t.numRows) t = filtrarTabela(t, inst.esquema, indices);
    }
    if (lidas.length !== colunas.length || lidas.some((c, i) => c !== colunas[i])) {
      t = alinhar(new arrow.Table(Object.fromEntries(colunas.map((c) => [c, t.getChild(c)!]))), esquemaArrow(inst.esquema, colunas));
    }
    return t;
  });
  const schema = esquemaArrow(inst.esquema, colunas);
  return {
    tabela: juntarTabelas(tabelas, schema),
    versao: inst.versao,
    arquivosTotais: inst.arquivos.size,
    arquivosLidos: candidatos.length,
    arquivosIgnorados: inst.arquivos.size - candidatos.length,
    bytesLidos,
    bytesTotais: [...inst.arquivos.values()].reduce((t, a) => t + a.size, 0),
  };
}
