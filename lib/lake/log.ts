// The transaction log: list _delta_log, rebuild a snapshot (latest checkpoint + the commits
// after it, applying the protocol's reconciliation rules), write checkpoints and
// _last_checkpoint, and commit a new version atomically: `N.json` is created only if absent;
// when another writer got there first we read what it did, decide whether our transaction can
// still be serialized after it, and try N+1, or fail with ErroConflito.
import { randomUUID } from "node:crypto";
import * as arrow from "apache-arrow";
import type { Armazenamento, InfoObjeto } from "./armazenamento";
import { gravarParquet, lerParquet } from "./parquet";
import {
  type Action,
  type Add,
  type CommitInfo,
  type DomainMetadata,
  type Metadata,
  type Protocol,
  type Remove,
  type StructType,
  type Txn,
  ErroConflito,
  ErroLake,
  ErroRecursoNaoSuportado,
  PASTA_LOG,
  classificarArquivoDoLog,
  exigirLeitura,
  lerEsquema,
  nomeCheckpoint,
  nomeCommit,
  nomeDoRecurso,
} from "./protocolo";

export const VERSAO_LIB = "0.1.0";
export const MOTOR = `liga-sudoers-lib-lake/${VERSAO_LIB}`;

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

export interface ListagemLog {
  commits: Map<number, InfoObjeto>;
  /** Complete checkpoints: version → object keys (one, or all parts). */
  checkpoints: Map<number, string[]>;
  /** Commit times, adjusted to be strictly increasing as Delta does. */
  tempos: Map<number, number>;
}

/** The file's path in storage from add.path (a URI-encoded relative path). */
export function caminhoDecodificado(path: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(path)) {
    throw new ErroLake(`Caminho absoluto no log (${path}): o lib/lake só lê tabelas com caminhos relativos.`);
  }
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

export async function listarLog(arm: Armazenamento): Promise<ListagemLog> {
  const itens = await arm.listar(`${PASTA_LOG}/`);
  const commits = new Map<number, InfoObjeto>();
  const partes = new Map<string, string[]>();
  const checkpoints = new Map<number, string[]>();
  for (const o of itens) {
    const nome = o.chave.slice(PASTA_LOG.length + 1);
    if (nome.includes("/")) continue;
    const c = classificarArquivoDoLog(nome);
    if (c.tipo === "commit") commits.set(c.versao, o);
    else if (c.tipo === "checkpoint") {
      if (!c.partes) checkpoints.set(c.versao, [o.chave]);
      else {
        const k = `${c.versao}/${c.partes}`;
        const lista = partes.get(k) ?? [];
        lista.push(o.chave);
        partes.set(k, lista);
        // Multi-part checkpoints with missing parts are ignored, as the protocol asks.
        if (lista.length === c.partes && !checkpoints.has(c.versao)) checkpoints.set(c.versao, lista.sort());
      }
    }
  }
  const tempos = new Map<number, number>();
  let anterior = -Infinity;
  for (const v of [...commits.keys()].sort((a, b) => a - b)) {
    const t = Math.max(commits.get(v)!.modificado.getTime(), anterior + 1);
    tempos.set(v, t);
    anterior = t;
  }
  return { commits, checkpoints, tempos };
}

export function lerAcoes(texto: string, origem: string): Action[] {
  const acoes: Action[] = [];
  for (const linha of texto.split("\n")) {
    if (!linha.trim()) continue;
    try {
      acoes.push(JSON.parse(linha) as Action);
    } catch (err) {
      throw new ErroLake(`Linha inválida em ${origem}: ${(err as Error).message}`);
    }
  }
  return acoes;
}

export async function lerCommit(arm: Armazenamento, versao: number): Promise<Action[] | undefined> {
  const chave = `${PASTA_LOG}/${nomeCommit(versao)}`;
  const bytes = await arm.lerSeExistir(chave);
  return bytes && lerAcoes(Buffer.from(bytes).toString("utf8"), chave);
}

interface Estado {
  protocol?: Protocol;
  metadata?: Metadata;
  arquivos: Map<string, Add>;
  tombstones: Map<string, Remove>;
  txns: Map<string, Txn>;
  dominios: Map<string, DomainMetadata>;
}

function aplicar(estado: Estado, a: Action, tabela: string): void {
  if ("add" in a && a.add) {
    if (a.add.deletionVector) {
      throw new ErroRecursoNaoSuportado(
        `A tabela ${tabela} tem arquivos com ${nomeDoRecurso("deletionVectors")}, que o lib/lake não implementa: leia-a com Spark ou delta-rs.`,
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

/** Arrow → plain JSON (maps become objects, int64 become numbers), the shape of a commit line. */
function paraJson(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? Number(x) : x)));
}

const COLUNAS_CHECKPOINT = ["protocol", "metaData", "add", "remove", "txn", "domainMetadata"] as const;

export async function lerCheckpoint(arm: Armazenamento, chaves: string[]): Promise<Action[]> {
  const acoes: Action[] = [];
  for (const chave of chaves) {
    const t = lerParquet(await arm.ler(chave));
    for (const col of COLUNAS_CHECKPOINT) {
      const vec = t.getChild(col);
      if (!vec) continue;
      for (let i = 0; i < vec.length; i++) {
        const v = vec.get(i);
        if (v === null || v === undefined) continue;
        const obj = paraJson(v) as Record<string, unknown>;
        // A null struct can come back as an object of nulls: an action needs its key field.
        const chaveObrigatoria = { protocol: "minReaderVersion", metaData: "id", add: "path", remove: "path", txn: "appId", domainMetadata: "domain" }[col];
        if (obj[chaveObrigatoria] === null || obj[chaveObrigatoria] === undefined) continue;
        for (const k of Object.keys(obj)) if (obj[k] === null) delete obj[k];
        acoes.push({ [col]: obj } as unknown as Action);
      }
    }
  }
  return acoes;
}

export interface AlvoLeitura {
  versao?: number;
  timestamp?: Date | string | number;
}

function novoEstado(): Estado {
  return { arquivos: new Map(), tombstones: new Map(), txns: new Map(), dominios: new Map() };
}

/** The version a timestamp selects: the last one committed at or before it. */
export function versaoNoInstante(listagem: ListagemLog, ts: Date | string | number, tabela: string): number {
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

/**
 * The snapshot at a version (latest by default), or undefined when no table exists there.
 * With `base`, only the commits after it are read.
 */
export async function carregarInstantaneo(
  arm: Armazenamento,
  alvo: AlvoLeitura = {},
  base?: Instantaneo,
  listagemPronta?: ListagemLog,
): Promise<Instantaneo | undefined> {
  const listagem = listagemPronta ?? (await listarLog(arm));
  const versoes = [...listagem.commits.keys(), ...listagem.checkpoints.keys()];
  if (versoes.length === 0) {
    if (alvo.versao !== undefined || alvo.timestamp !== undefined) {
      throw new ErroLake(`Não existe tabela Delta em ${arm.url} (nenhum commit em ${PASTA_LOG}/).`);
    }
    return undefined;
  }
  const ultima = Math.max(...versoes);
  let versao = ultima;
  if (alvo.versao !== undefined) {
    if (!Number.isInteger(alvo.versao) || alvo.versao < 0 || alvo.versao > ultima) {
      throw new ErroLake(`A versão ${alvo.versao} não existe na tabela ${arm.url}: as versões vão de 0 a ${ultima}.`);
    }
    versao = alvo.versao;
  } else if (alvo.timestamp !== undefined) {
    versao = versaoNoInstante(listagem, alvo.timestamp, arm.url);
  }
  let estado: Estado;
  let inicio: number;
  if (base && base.versao <= versao) {
    estado = {
      protocol: base.protocol,
      metadata: base.metadata,
      arquivos: new Map(base.arquivos),
      tombstones: new Map(base.tombstones),
      txns: new Map(base.txns),
      dominios: new Map(base.dominios),
    };
    inicio = base.versao + 1;
  } else {
    const cp = Math.max(-1, ...[...listagem.checkpoints.keys()].filter((v) => v <= versao));
    estado = novoEstado();
    if (cp >= 0) for (const a of await lerCheckpoint(arm, listagem.checkpoints.get(cp)!)) aplicar(estado, a, arm.url);
    inicio = cp + 1;
  }
  const faltando: number[] = [];
  for (let v = inicio; v <= versao; v++) if (!listagem.commits.has(v)) faltando.push(v);
  if (faltando.length) {
    throw new ErroLake(
      `O log de ${arm.url} não permite reconstruir a versão ${versao}: faltam os commits ${faltando.slice(0, 5).join(", ")}` +
        `${faltando.length > 5 ? "…" : ""} e não há checkpoint que os cubra.`,
    );
  }
  // Commits are small: fetch them in parallel, apply them in order.
  const lidos = await Promise.all(
    Array.from({ length: versao - inicio + 1 }, (_, k) => lerCommit(arm, inicio + k)),
  );
  lidos.forEach((acoes, k) => {
    if (!acoes) throw new ErroLake(`O commit ${inicio + k} de ${arm.url} sumiu durante a leitura.`);
    for (const a of acoes) aplicar(estado, a, arm.url);
  });
  if (!estado.protocol || !estado.metadata) {
    throw new ErroLake(`O log de ${arm.url} não tem protocol/metaData até a versão ${versao}: não é uma tabela Delta válida.`);
  }
  exigirLeitura(estado.protocol, estado.metadata, arm.url);
  return {
    versao,
    timestamp: listagem.tempos.get(versao) ?? Date.now(),
    protocol: estado.protocol,
    metadata: estado.metadata,
    esquema: lerEsquema(estado.metadata.schemaString),
    arquivos: estado.arquivos,
    tombstones: estado.tombstones,
    txns: estado.txns,
    dominios: estado.dominios,
  };
}

// ---------------------------------------------------------------------------------------------
// Checkpoints

const mapa = () =>
  new arrow.Map_(
    new arrow.Field(
      "key_value",
      new arrow.Struct([new arrow.Field("key", new arrow.Utf8(), false), new arrow.Field("value", new arrow.Utf8(), true)] as never),
      false,
    ),
  );
const f = (nome: string, tipo: arrow.DataType, anulavel = true) => new arrow.Field(nome, tipo, anulavel);
const lista = () => new arrow.List(new arrow.Field("element", new arrow.Utf8(), true));

function esquemaCheckpoint(comRecursos: boolean): arrow.Schema {
  const protocolo = [f("minReaderVersion", new arrow.Int32()), f("minWriterVersion", new arrow.Int32())];
  if (comRecursos) protocolo.push(f("readerFeatures", lista()), f("writerFeatures", lista()));
  return new arrow.Schema([
    f("txn", new arrow.Struct([f("appId", new arrow.Utf8()), f("version", new arrow.Int64()), f("lastUpdated", new arrow.Int64())])),
    f(
      "add",
      new arrow.Struct([
        f("path", new arrow.Utf8()),
        f("partitionValues", mapa()),
        f("size", new arrow.Int64()),
        f("modificationTime", new arrow.Int64()),
        f("dataChange", new arrow.Bool()),
        f("stats", new arrow.Utf8()),
        f("tags", mapa()),
      ]),
    ),
    f(
      "remove",
      new arrow.Struct([
        f("path", new arrow.Utf8()),
        f("deletionTimestamp", new arrow.Int64()),
        f("dataChange", new arrow.Bool()),
        f("extendedFileMetadata", new arrow.Bool()),
        f("partitionValues", mapa()),
        f("size", new arrow.Int64()),
      ]),
    ),
    f(
      "metaData",
      new arrow.Struct([
        f("id", new arrow.Utf8()),
        f("name", new arrow.Utf8()),
        f("description", new arrow.Utf8()),
        f("format", new arrow.Struct([f("provider", new arrow.Utf8()), f("options", mapa())])),
        f("schemaString", new arrow.Utf8()),
        f("partitionColumns", lista()),
        f("createdTime", new arrow.Int64()),
        f("configuration", mapa()),
      ]),
    ),
    f("protocol", new arrow.Struct(protocolo)),
    f("domainMetadata", new arrow.Struct([f("domain", new arrow.Utf8()), f("configuration", new arrow.Utf8()), f("removed", new arrow.Bool())])),
  ]);
}

const paraMapa = (o: Record<string, string | null> | null | undefined) => (o ? new Map(Object.entries(o)) : null);
const big = (n: number | null | undefined) => (n === null || n === undefined ? null : BigInt(Math.trunc(n)));

/** Milliseconds in an interval like "interval 7 days" / "168 hours" (delta.deletedFileRetentionDuration). */
export function duracaoMs(texto: string | undefined, padraoMs: number): number {
  if (!texto) return padraoMs;
  const m = /^\s*(?:interval\s+)?(\d+)\s*(second|minute|hour|day|week)s?\s*$/i.exec(texto);
  if (!m) return padraoMs;
  const un = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 604_800_000 }[m[2]!.toLowerCase() as "day"];
  return Number(m[1]) * un;
}

/**
 * Writes the classic (V1) checkpoint of a snapshot and points _last_checkpoint at it. Expired
 * tombstones are left out, and commitInfo never goes into a checkpoint.
 */
export async function gravarCheckpoint(arm: Armazenamento, inst: Instantaneo, agora = Date.now()): Promise<void> {
  const p = inst.protocol;
  const comRecursos = p.minReaderVersion >= 3 || p.minWriterVersion >= 7;
  const schema = esquemaCheckpoint(comRecursos);
  const linhas: Record<string, unknown>[] = [];
  const m = inst.metadata;
  linhas.push({
    protocol: {
      minReaderVersion: p.minReaderVersion,
      minWriterVersion: p.minWriterVersion,
      ...(comRecursos ? { readerFeatures: p.minReaderVersion >= 3 ? (p.readerFeatures ?? []) : null, writerFeatures: p.writerFeatures ?? [] } : {}),
    },
  });
  linhas.push({
    metaData: {
      id: m.id,
      name: m.name ?? null,
      description: m.description ?? null,
      format: { provider: m.format.provider, options: paraMapa(m.format.options ?? {}) },
      schemaString: m.schemaString,
      partitionColumns: m.partitionColumns,
      createdTime: big(m.createdTime),
      configuration: paraMapa(m.configuration ?? {}),
    },
  });
  for (const t of inst.txns.values()) linhas.push({ txn: { appId: t.appId, version: big(t.version), lastUpdated: big(t.lastUpdated) } });
  for (const d of inst.dominios.values()) linhas.push({ domainMetadata: d });
  for (const a of inst.arquivos.values()) {
    linhas.push({
      add: {
        path: a.path,
        partitionValues: paraMapa(a.partitionValues),
        size: big(a.size),
        modificationTime: big(a.modificationTime),
        dataChange: false,
        stats: a.stats ?? null,
        tags: paraMapa(a.tags ?? null),
      },
    });
  }
  const retencao = duracaoMs(m.configuration["delta.deletedFileRetentionDuration"], 7 * 86_400_000);
  for (const r of inst.tombstones.values()) {
    if ((r.deletionTimestamp ?? 0) < agora - retencao) continue;
    linhas.push({
      remove: {
        path: r.path,
        deletionTimestamp: big(r.deletionTimestamp),
        dataChange: false,
        extendedFileMetadata: r.extendedFileMetadata ?? null,
        partitionValues: paraMapa(r.partitionValues ?? null),
        size: big(r.size),
      },
    });
  }
  const colunas: Record<string, arrow.Vector> = {};
  for (const campo of schema.fields) {
    colunas[campo.name] = arrow.vectorFromArray(
      linhas.map((l) => (l[campo.name] as unknown) ?? null),
      campo.type as never,
    );
  }
  const tabela = new arrow.Table(schema, new arrow.Table(colunas).batches.map((b) => new arrow.RecordBatch(schema, b.data)));
  const bytes = gravarParquet(tabela, "snappy");
  await arm.gravar(`${PASTA_LOG}/${nomeCheckpoint(inst.versao)}`, bytes);
  const ultimo = { version: inst.versao, size: linhas.length, sizeInBytes: bytes.length, numOfAddFiles: inst.arquivos.size };
  await arm.gravar(`${PASTA_LOG}/_last_checkpoint`, Buffer.from(JSON.stringify(ultimo)));
}

// ---------------------------------------------------------------------------------------------
// Commits

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
  return [{ commitInfo: info }, ...tx.acoes].map((a) => JSON.stringify(a)).join("\n") + "\n";
}

/** Why a transaction cannot follow a commit another writer made, or undefined when it can. */
function conflito(tx: Transacao, vencedoras: Action[], versao: number): string | undefined {
  const removidas = new Set<string>();
  for (const a of tx.acoes) if ("remove" in a) removidas.add(caminhoDecodificado(a.remove.path));
  const meusTxns = new Set(tx.acoes.flatMap((a) => ("txn" in a ? [a.txn.appId] : [])));
  for (const a of vencedoras) {
    if ("metaData" in a) return `a versão ${versao} mudou os metadados/esquema da tabela`;
    if ("protocol" in a) return `a versão ${versao} mudou o protocolo da tabela`;
    if ("txn" in a && meusTxns.has(a.txn.appId)) return `a versão ${versao} gravou a mesma transação de aplicação '${a.txn.appId}'`;
    if ("remove" in a) {
      const k = caminhoDecodificado(a.remove.path);
      if (removidas.has(k) || tx.arquivosLidos?.has(k)) {
        return `a versão ${versao} removeu ou reescreveu o arquivo ${a.remove.path}, que esta operação também leu ou altera`;
      }
    }
    if ("add" in a && !tx.acrescimoCego && a.add.dataChange !== false) {
      if (!tx.leuArquivo || tx.leuArquivo(a.add)) {
        return `a versão ${versao} acrescentou dados (${a.add.path}) na parte da tabela que esta operação leu`;
      }
    }
  }
  return undefined;
}

const dormir = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Commits a transaction as the next version. Never overwrites a commit: on a lost race it reads
 * the winner, checks for a logical conflict, and retries at the following version.
 */
export async function commitar(arm: Armazenamento, tx: Transacao): Promise<ResultadoCommit> {
  let base = tx.leitura?.versao ?? -1;
  for (let tentativa = 1; tentativa <= MAX_TENTATIVAS; tentativa++) {
    const versao = base + 1;
    const corpo = Buffer.from(linhasDoCommit(tx));
    if (await arm.gravarSeAusente(`${PASTA_LOG}/${nomeCommit(versao)}`, corpo)) {
      await talvezCheckpoint(arm, tx, versao);
      return { versao, tentativas: tentativa };
    }
    if (!tx.leitura) {
      throw new ErroConflito(`Outro escritor criou a tabela ${arm.url} ao mesmo tempo: nada foi gravado por esta operação.`);
    }
    const vencedoras = await lerCommit(arm, versao);
    if (!vencedoras) {
      // 409 from a concurrent conditional PUT still in flight: try the same version again.
      await dormir(5 + Math.random() * 20);
      continue;
    }
    const motivo = conflito(tx, vencedoras, versao);
    if (motivo) {
      throw new ErroConflito(
        `Conflito de escrita em ${arm.url}: ${motivo} depois que esta operação (${tx.operacao}) leu a versão ${tx.leitura.versao}. ` +
          "Nada foi gravado; leia a tabela de novo e repita a operação.",
      );
    }
    base = versao;
    if (tentativa > 3) await dormir(Math.random() * 10 * Math.min(tentativa, 10));
  }
  throw new ErroConflito(`Não consegui gravar em ${arm.url} depois de ${MAX_TENTATIVAS} tentativas: há escritores demais competindo.`);
}

async function talvezCheckpoint(arm: Armazenamento, tx: Transacao, versao: number): Promise<void> {
  const conf = tx.acoes.find((a): a is { metaData: Metadata } => "metaData" in a)?.metaData.configuration ?? tx.leitura?.metadata.configuration ?? {};
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
