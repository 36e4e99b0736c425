// Snapshot replay: the table at one version, rebuilt from the latest checkpoint at or before it
// plus the commits after it, with the protocol's reconciliation rules (the last add or remove of
// a path wins; the last metaData and protocol win; txn and domainMetadata by their key). Time
// travel picks the version by number or by commit time.
import type { Armazenamento } from "./armazenamento";
import { lerCheckpoint } from "./checkpoint";
import { type ListagemLog, PASTA_LOG, caminhoDecodificado, lerCommit, listarLog } from "./log";
import {
  type Action,
  type Add,
  type DomainMetadata,
  type Metadata,
  type Protocol,
  type Remove,
  type StructType,
  type Txn,
  ErroLake,
  ErroRecursoNaoSuportado,
  exigirLeitura,
  lerEsquema,
  nomeDoRecurso,
} from "./protocolo";

/** A table at one version: what a reader needs (files) and a writer must keep (tombstones, txns, domains). */
export interface Instantaneo {
  versao: number;
  /** Commit time of this version (ms since the epoch). */
  timestamp: number;
  protocol: Protocol;
  metadata: Metadata;
  esquema: StructType;
  /** Live files, by decoded path. */
  arquivos: Map<string, Add>;
  /** Removed files not yet expired (for vacuum), by decoded path. */
  tombstones: Map<string, Remove>;
  txns: Map<string, Txn>;
  dominios: Map<string, DomainMetadata>;
}

export interface AlvoLeitura {
  versao?: number;
  timestamp?: Date | string | number;
}

/** The table state while replaying actions; protocol and metaData appear along the way. */
interface Estado {
  protocol?: Protocol;
  metadata?: Metadata;
  arquivos: Map<string, Add>;
  tombstones: Map<string, Remove>;
  txns: Map<string, Txn>;
  dominios: Map<string, DomainMetadata>;
}

function novoEstado(): Estado {
  return { arquivos: new Map(), tombstones: new Map(), txns: new Map(), dominios: new Map() };
}

function aplicar(estado: Estado, a: Action, tabela: string): void {
  if ("add" in a && a.add) {
    if (a.add.deletionVector) {
      throw new ErroRecursoNaoSuportado(
        `A tabela ${tabela} tem arquivos com ${nomeDoRecurso("deletionVectors")}, que o lib/lake não implementa: leia-a com Spark ou delta-rs.`,
        "deletionVectors",
      );
    }
    const k = caminhoDecodificado(a.add.path);
    estado.arquivos.set(k, a.add);
    estado.tombstones.delete(k);
  } else if ("remove" in a && a.remove) {
    const k = caminhoDecodificado(a.remove.path);
    estado.arquivos.delete(k);
    estado.tombstones.set(k, a.remove);
  } else if ("metaData" in a && a.metaData) estado.metadata = a.metaData;
  else if ("protocol" in a && a.protocol) estado.protocol = a.protocol;
  else if ("txn" in a && a.txn) estado.txns.set(a.txn.appId, a.txn);
  else if ("domainMetadata" in a && a.domainMetadata) {
    if (a.domainMetadata.removed) estado.dominios.delete(a.domainMetadata.domain);
    else estado.dominios.set(a.domainMetadata.domain, a.domainMetadata);
  }
}

/** The version a timestamp selects: the last one committed at or before it. */
function versaoNoInstante(listagem: ListagemLog, ts: Date | string | number, tabela: string): number {
  const ms = ts instanceof Date ? ts.getTime() : typeof ts === "number" ? ts : Date.parse(ts);
  if (Number.isNaN(ms)) throw new ErroLake(`Instante inválido: ${String(ts)}. Esperado um Date, um texto ISO 8601 ou milissegundos.`);
  let melhor: number | undefined;
  for (const [v, t] of listagem.tempos) if (t <= ms && (melhor === undefined || v > melhor)) melhor = v;
  if (melhor === undefined) {
    const primeiro = Math.min(...listagem.tempos.values());
    throw new ErroLake(
      `A tabela ${tabela} não existia em ${new Date(ms).toISOString()}: o commit mais antigo disponível é de ${new Date(primeiro).toISOString()}.`,
    );
  }
  return melhor;
}

/** The version `alvo` asks for (latest by default), checked against what the log holds. */
function versaoAlvo(listagem: ListagemLog, alvo: AlvoLeitura, ultima: number, tabela: string): number {
  if (alvo.versao !== undefined) {
    if (!Number.isInteger(alvo.versao) || alvo.versao < 0 || alvo.versao > ultima) {
      throw new ErroLake(`A versão ${alvo.versao} não existe na tabela ${tabela}: as versões vão de 0 a ${ultima}.`);
    }
    return alvo.versao;
  }
  if (alvo.timestamp !== undefined) return versaoNoInstante(listagem, alvo.timestamp, tabela);
  return ultima;
}

/**
 * Where replay starts: a copy of `base` when it is not past the target (only newer commits are
 * then read), else the newest checkpoint at or before the target, else nothing.
 */
async function pontoDePartida(
  arm: Armazenamento,
  listagem: ListagemLog,
  versao: number,
  base: Instantaneo | undefined,
): Promise<{ estado: Estado; inicio: number }> {
  if (base && base.versao <= versao) {
    const estado: Estado = {
      protocol: base.protocol,
      metadata: base.metadata,
      arquivos: new Map(base.arquivos),
      tombstones: new Map(base.tombstones),
      txns: new Map(base.txns),
      dominios: new Map(base.dominios),
    };
    return { estado, inicio: base.versao + 1 };
  }
  const cp = Math.max(-1, ...[...listagem.checkpoints.keys()].filter((v) => v <= versao));
  const estado = novoEstado();
  if (cp >= 0) for (const a of await lerCheckpoint(arm, listagem.checkpoints.get(cp)!)) aplicar(estado, a, arm.url);
  return { estado, inicio: cp + 1 };
}

/** Applies commits inicio..versao in order (fetched in parallel: commits are small). */
async function aplicarCommits(arm: Armazenamento, listagem: ListagemLog, estado: Estado, inicio: number, versao: number): Promise<void> {
  const faltando: number[] = [];
  for (let v = inicio; v <= versao; v++) if (!listagem.commits.has(v)) faltando.push(v);
  if (faltando.length) {
    throw new ErroLake(
      `O log de ${arm.url} não permite reconstruir a versão ${versao}: faltam os commits ${faltando.slice(0, 5).join(", ")}` +
        `${faltando.length > 5 ? "…" : ""} e não há checkpoint que os cubra.`,
    );
  }
  const lidos = await Promise.all(Array.from({ length: versao - inicio + 1 }, (_, k) => lerCommit(arm, inicio + k)));
  lidos.forEach((acoes, k) => {
    if (!acoes) throw new ErroLake(`O commit ${inicio + k} de ${arm.url} sumiu durante a leitura.`);
    for (const a of acoes) aplicar(estado, a, arm.url);
  });
}

/**
 * The snapshot at a version (latest by default), or undefined when no table exists there.
 * With `base`, only the commits after it are read.
 */
export async function carregarInstantaneo(
  arm: Armazenamento,
  alvo: AlvoLeitura = {},
  base?: Instantaneo,
): Promise<Instantaneo | undefined> {
  const listagem = await listarLog(arm);
  const versoes = [...listagem.commits.keys(), ...listagem.checkpoints.keys()];
  if (versoes.length === 0) {
    if (alvo.versao !== undefined || alvo.timestamp !== undefined) {
      throw new ErroLake(`Não existe tabela Delta em ${arm.url} (nenhum commit em ${PASTA_LOG}/).`);
    }
    return undefined;
  }
  const versao = versaoAlvo(listagem, alvo, Math.max(...versoes), arm.url);
  const { estado, inicio } = await pontoDePartida(arm, listagem, versao, base);
  await aplicarCommits(arm, listagem, estado, inicio, versao);
  const { protocol, metadata } = estado;
  if (!protocol || !metadata) {
    throw new ErroLake(`O log de ${arm.url} não tem protocol/metaData até a versão ${versao}: não é uma tabela Delta válida.`);
  }
  exigirLeitura(protocol, metadata, arm.url);
  return {
    versao,
    timestamp: listagem.tempos.get(versao) ?? Date.now(),
    protocol,
    metadata,
    esquema: lerEsquema(metadata.schemaString),
    arquivos: estado.arquivos,
    tombstones: estado.tombstones,
    txns: estado.txns,
    dominios: estado.dominios,
  };
}
