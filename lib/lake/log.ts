// The _delta_log folder as files: name them (N.json, N.checkpoint.parquet…), list them (commits,
// complete checkpoints, commit times), read one commit's actions, and turn an add/remove path
// into the object key it names. Rebuilding a snapshot from these is instantaneo.ts; writing
// checkpoints, checkpoint.ts; committing, commit.ts.
import type { Armazenamento, InfoObjeto } from "./armazenamento";
import { type Action, ErroLake } from "./protocolo";

export const PASTA_LOG = "_delta_log";

export function nomeCommit(versao: number): string {
  return `${String(versao).padStart(20, "0")}.json`;
}

export function nomeCheckpoint(versao: number): string {
  return `${String(versao).padStart(20, "0")}.checkpoint.parquet`;
}

export type ArquivoDoLog =
  | { tipo: "commit"; versao: number }
  | { tipo: "checkpoint"; versao: number; parte?: number; partes?: number }
  | { tipo: "checkpointV2"; versao: number }
  | { tipo: "outro" };

/** Classifies a file name inside _delta_log. */
export function classificarArquivoDoLog(nome: string): ArquivoDoLog {
  let m = /^(\d{20})\.json$/.exec(nome);
  if (m) return { tipo: "commit", versao: Number(m[1]) };
  m = /^(\d{20})\.checkpoint\.parquet$/.exec(nome);
  if (m) return { tipo: "checkpoint", versao: Number(m[1]) };
  m = /^(\d{20})\.checkpoint\.(\d{10})\.(\d{10})\.parquet$/.exec(nome);
  if (m) return { tipo: "checkpoint", versao: Number(m[1]), parte: Number(m[2]), partes: Number(m[3]) };
  m = /^(\d{20})\.checkpoint\.[0-9a-fA-F-]{36}\.(json|parquet)$/.exec(nome);
  if (m) return { tipo: "checkpointV2", versao: Number(m[1]) };
  return { tipo: "outro" };
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
