// Committing a transaction as the next version of the log, atomically: `N.json` is created only
// if absent (gravarSeAusente). When another writer got there first, we read what it committed,
// decide whether our transaction can still be serialized after it (optimistic concurrency, as
// Delta's writers do), and try N+1, or fail with ErroConflito saying who won and why.
import { randomUUID } from "node:crypto";
import type { Armazenamento } from "./armazenamento";
import { gravarCheckpoint } from "./checkpoint";
import { type Instantaneo, carregarInstantaneo } from "./instantaneo";
import { PASTA_LOG, caminhoDecodificado, lerCommit, nomeCommit } from "./log";
import { type Action, type Add, type CommitInfo, type Metadata, type MotivoConflito, ErroConflito } from "./protocolo";

const VERSAO_LIB = "0.1.0";
const MOTOR = `liga-sudoers-lib-lake/${VERSAO_LIB}`;

export interface Transacao {
  /** The snapshot the transaction read; undefined when creating the table. */
  leitura: Instantaneo | undefined;
  acoes: Action[];
  operacao: string;
  parametros: Record<string, unknown>;
  metricas?: Record<string, number>;
  /** Only adds files and read nothing: never conflicts with other data changes. */
  acrescimoCego: boolean;
  /**
   * Does a file another writer added meanwhile touch data this transaction read? Undefined
   * means the transaction read the whole table.
   */
  leuArquivo?: (add: Add) => boolean;
  /** Files (decoded paths) this transaction read or rewrites. */
  arquivosLidos?: Set<string>;
  /** Checkpoint every N versions (0 = never); default from delta.checkpointInterval or 10. */
  intervaloCheckpoint?: number;
}

export interface ResultadoCommit {
  versao: number;
  tentativas: number;
}

const MAX_TENTATIVAS = 200;

function linhasDoCommit(tx: Transacao): string {
  const info: CommitInfo = {
    timestamp: Date.now(),
    operation: tx.operacao,
    operationParameters: Object.fromEntries(
      Object.entries(tx.parametros).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
    ),
    ...(tx.leitura ? { readVersion: tx.leitura.versao } : {}),
    isolationLevel: "Serializable",
    isBlindAppend: tx.acrescimoCego,
    ...(tx.metricas ? { operationMetrics: Object.fromEntries(Object.entries(tx.metricas).map(([k, v]) => [k, String(v)])) } : {}),
    engineInfo: MOTOR,
    txnId: randomUUID(),
  };
  return `${[{ commitInfo: info }, ...tx.acoes].map((a) => JSON.stringify(a)).join("\n")}\n`;
}

/** What in a winning commit our transaction cannot be serialized after. */
interface Choque {
  motivo: Exclude<MotivoConflito, "tabelaCriada" | "tentativasEsgotadas">;
  explicacao: string;
  arquivo?: string;
}

/** Why a transaction cannot follow a commit another writer made, or undefined when it can. */
function conflito(tx: Transacao, vencedoras: Action[], versao: number): Choque | undefined {
  const removidas = new Set<string>();
  for (const a of tx.acoes) if ("remove" in a) removidas.add(caminhoDecodificado(a.remove.path));
  const meusTxns = new Set(tx.acoes.flatMap((a) => ("txn" in a ? [a.txn.appId] : [])));
  for (const a of vencedoras) {
    if ("metaData" in a) return { motivo: "metadados", explicacao: `a versão ${versao} mudou os metadados/esquema da tabela` };
    if ("protocol" in a) return { motivo: "protocolo", explicacao: `a versão ${versao} mudou o protocolo da tabela` };
    if ("txn" in a && meusTxns.has(a.txn.appId)) {
      return { motivo: "transacaoDeAplicacao", explicacao: `a versão ${versao} gravou a mesma transação de aplicação '${a.txn.appId}'` };
    }
    if ("remove" in a) {
      const k = caminhoDecodificado(a.remove.path);
      if (removidas.has(k) || tx.arquivosLidos?.has(k)) {
        const explicacao = `a versão ${versao} removeu ou reescreveu o arquivo ${a.remove.path}, que esta operação também leu ou altera`;
        return { motivo: "arquivoRemovido", explicacao, arquivo: a.remove.path };
      }
    }
    if ("add" in a && !tx.acrescimoCego && a.add.dataChange !== false && (!tx.leuArquivo || tx.leuArquivo(a.add))) {
      const explicacao = `a versão ${versao} acrescentou dados (${a.add.path}) na parte da tabela que esta operação leu`;
      return { motivo: "dadosAcrescentados", explicacao, arquivo: a.add.path };
    }
  }
  return undefined;
}

/** The operation a commit records (commitInfo.operation), if it says. */
function operacaoDe(acoes: Action[] | undefined): string | undefined {
  return acoes?.find((a): a is { commitInfo: CommitInfo } => "commitInfo" in a)?.commitInfo.operation;
}

const dormir = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Commits a transaction as the next version. Never overwrites a commit: on a lost race it reads
 * the winner, checks for a logical conflict, and retries at the following version.
 */
export async function commitar(arm: Armazenamento, tx: Transacao): Promise<ResultadoCommit> {
  let base = tx.leitura?.versao ?? -1;
  const dados = (versao: number, vencedoras: Action[] | undefined) => ({
    operacao: tx.operacao,
    versaoLida: tx.leitura?.versao,
    versaoTentada: versao,
    versaoVencedora: versao,
    operacaoVencedora: operacaoDe(vencedoras),
  });
  let versao = base + 1;
  for (let tentativa = 1; tentativa <= MAX_TENTATIVAS; tentativa++) {
    versao = base + 1;
    const corpo = Buffer.from(linhasDoCommit(tx));
    if (await arm.gravarSeAusente(`${PASTA_LOG}/${nomeCommit(versao)}`, corpo)) {
      await talvezCheckpoint(arm, tx, versao);
      return { versao, tentativas: tentativa };
    }
    const vencedoras = await lerCommit(arm, versao);
    if (!tx.leitura) {
      throw new ErroConflito(`Outro escritor criou a tabela ${arm.url} ao mesmo tempo: nada foi gravado por esta operação.`, {
        motivo: "tabelaCriada",
        ...dados(versao, vencedoras),
      });
    }
    if (!vencedoras) {
      // 409 from a concurrent conditional PUT still in flight: try the same version again.
      await dormir(5 + Math.random() * 20);
      continue;
    }
    const choque = conflito(tx, vencedoras, versao);
    if (choque) {
      throw new ErroConflito(
        `Conflito de escrita em ${arm.url}: ${choque.explicacao} depois que esta operação (${tx.operacao}) leu a versão ${tx.leitura.versao}. ` +
          "Nada foi gravado; leia a tabela de novo e repita a operação.",
        { motivo: choque.motivo, ...dados(versao, vencedoras), ...(choque.arquivo ? { arquivo: choque.arquivo } : {}) },
      );
    }
    base = versao;
    if (tentativa > 3) await dormir(Math.random() * 10 * Math.min(tentativa, 10));
  }
  throw new ErroConflito(`Não consegui gravar em ${arm.url} depois de ${MAX_TENTATIVAS} tentativas: há escritores demais competindo.`, {
    motivo: "tentativasEsgotadas",
    ...dados(versao, await lerCommit(arm, versao)),
  });
}

async function talvezCheckpoint(arm: Armazenamento, tx: Transacao, versao: number): Promise<void> {
  const conf =
    tx.acoes.find((a): a is { metaData: Metadata } => "metaData" in a)?.metaData.configuration ?? tx.leitura?.metadata.configuration ?? {};
  const intervalo = tx.intervaloCheckpoint ?? Number(conf["delta.checkpointInterval"] ?? 10);
  if (!(intervalo > 0) || versao === 0 || versao % intervalo !== 0) return;
  try {
    const inst = await carregarInstantaneo(arm, { versao });
    if (inst) await gravarCheckpoint(arm, inst);
  } catch (err) {
    // The commit is already durable; a missing checkpoint only costs readers some replay.
    console.warn(`Aviso: o checkpoint da versão ${versao} de ${arm.url} falhou (o commit está gravado): ${String(err)}`);
  }
}
