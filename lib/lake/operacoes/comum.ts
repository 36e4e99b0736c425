// What every table operation shares: the context a TabelaDelta hands it (storage, the cached
// snapshot), the checks before writing, writing data files with the table's settings, and
// committing them or, when the commit fails, deleting them so no orphan is left behind.
import type * as arrow from "apache-arrow";
import type { Armazenamento } from "../armazenamento";
import { type ResultadoCommit, type Transacao, commitar } from "../commit";
import type { Condicao, Linha } from "../condicoes";
import { type ArquivosGravados, gravarArquivos } from "../escrita";
import type { AlvoLeitura, Instantaneo } from "../instantaneo";
import { caminhoDecodificado } from "../log";
import { compressaoDaTabela } from "../parquet";
import { type Action, type Add, type Metadata, type Remove, type StructType, ErroLake, exigirEscrita } from "../protocolo";

/** What an operation needs from the table it runs on. */
export interface Contexto {
  readonly arm: Armazenamento;
  /** Checkpoint every N commits (OpcoesTabela.intervaloCheckpoint). */
  readonly intervaloCheckpoint: number | undefined;
  /** The snapshot at a version / instant (latest by default, from the table's cache). */
  instantaneo(alvo?: AlvoLeitura): Promise<Instantaneo>;
  /** Drops the cached snapshot after a commit, so the next read sees the new version. */
  esquecer(): void;
}

export interface ResultadoEscrita {
  versao: number;
  /** Commit attempts (more than 1 when other writers won a race first). */
  tentativas: number;
  arquivosAdicionados: number;
  arquivosRemovidos: number;
  linhasEscritas: number;
  bytesEscritos: number;
  /** Rows deleted / updated / merged, for the operations that touch existing rows. */
  linhasAfetadas?: number;
}

/** The result of an operation that found nothing to do: no commit, the version stays. */
export function nadaGravado(versao: number): ResultadoEscrita {
  return { versao, tentativas: 0, arquivosAdicionados: 0, arquivosRemovidos: 0, linhasEscritas: 0, bytesEscritos: 0 };
}

/** A transaction as an operation describes it; the table adds its checkpoint interval. */
type TransacaoDaOperacao = Omit<Transacao, "intervaloCheckpoint">;

/** The latest snapshot, refused when its protocol needs a writer feature we lack. */
export async function paraEscrita(ctx: Contexto): Promise<Instantaneo> {
  const inst = await ctx.instantaneo();
  exigirEscrita(inst.protocol, inst.metadata, ctx.arm.url);
  return inst;
}

export function exigirNaoSomenteAcrescimo(ctx: Contexto, inst: Instantaneo, operacao: string): void {
  if (inst.metadata.configuration["delta.appendOnly"] === "true") {
    throw new ErroLake(`A tabela ${ctx.arm.url} é somente-acréscimo (delta.appendOnly=true): ${operacao} não é permitido.`);
  }
}

export async function commit(ctx: Contexto, tx: TransacaoDaOperacao): Promise<ResultadoCommit> {
  const r = await commitar(ctx.arm, { ...tx, intervaloCheckpoint: ctx.intervaloCheckpoint });
  ctx.esquecer();
  return r;
}

/** Writes data files with the table's codec and stats settings. */
export async function gravar(
  ctx: Contexto,
  inst: { esquema: StructType; metadata: Metadata },
  tabela: arrow.Table,
  dataChange = true,
): Promise<ArquivosGravados> {
  const conf = inst.metadata.configuration;
  return gravarArquivos(ctx.arm, inst.esquema, inst.metadata.partitionColumns, tabela, {
    compressao: compressaoDaTabela(conf),
    dataChange,
    colunasIndexadas: Number(conf["delta.dataSkippingNumIndexedCols"] ?? 32),
  });
}

/** Removes uploaded files of a transaction that will not be committed. */
export async function descartar(ctx: Contexto, adds: Add[]): Promise<void> {
  await ctx.arm.remover(adds.map((a) => caminhoDecodificado(a.path))).catch(() => undefined);
}

export async function commitOuDescartar(ctx: Contexto, tx: TransacaoDaOperacao, novos: Add[]): Promise<ResultadoCommit> {
  try {
    return await commit(ctx, tx);
  } catch (err) {
    await descartar(ctx, novos);
    throw err;
  }
}

/**
 * Commits freshly written files as a blind append (CREATE TABLE, WRITE in Append mode): it read
 * nothing, so it never conflicts with other appends. `antes` are actions that go first
 * (protocol and metaData of a new table).
 */
export async function commitarAcrescimo(
  ctx: Contexto,
  tx: { leitura: Instantaneo | undefined; antes: Action[]; operacao: string; parametros: Record<string, unknown> },
  g: ArquivosGravados,
): Promise<ResultadoEscrita> {
  const r = await commitOuDescartar(
    ctx,
    {
      leitura: tx.leitura,
      acoes: [...tx.antes, ...g.adds.map((add) => ({ add }))],
      operacao: tx.operacao,
      parametros: tx.parametros,
      metricas: { numFiles: g.adds.length, numOutputRows: g.linhas, numOutputBytes: g.bytes },
      acrescimoCego: true,
    },
    g.adds,
  );
  return {
    versao: r.versao,
    tentativas: r.tentativas,
    arquivosAdicionados: g.adds.length,
    arquivosRemovidos: 0,
    linhasEscritas: g.linhas,
    bytesEscritos: g.bytes,
  };
}

/** The remove action for a live file. */
export function removerDe(add: Add, agora: number): Remove {
  return {
    path: add.path,
    deletionTimestamp: agora,
    dataChange: true,
    extendedFileMetadata: true,
    partitionValues: add.partitionValues,
    size: add.size,
    ...(add.stats ? { stats: add.stats } : {}),
  };
}

/** Rows in a file according to its stats (undefined when it has none). */
export function linhasDoArquivo(add: Add): number | undefined {
  return add.stats ? (JSON.parse(add.stats) as { numRecords?: number }).numRecords : undefined;
}

/** The predicate as the commit records it (JSON; bigint values as numbers' text). */
export function textoDoPredicado(onde: Condicao[]): string {
  return JSON.stringify(onde, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

export function mostrarLinha(l: Linha): string {
  return JSON.stringify(l, (_k, v: unknown) => (typeof v === "bigint" ? `${v}` : v));
}
