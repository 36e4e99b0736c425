// Shared pieces of the lakehouse (raw → trusted → refined): where each layer's tables live,
// the LGPD pseudonymization, and small helpers. Tables sit under an optional root prefix so a
// test (or an experiment) can build a whole lakehouse beside the student's without touching it.
import { createHmac } from "node:crypto";
import { config } from "../config";
import { removerPrefixo, tabelaDelta, type TabelaDelta } from "../lake/index";

export type Camada = "raw" | "trusted" | "refined";

export interface OpcoesLakehouse {
  /** Prefix inside each bucket (default "": the student's layers). */
  raiz?: string;
  /** Pseudonymization secret (default: LAKE_PSEUDONIMO_SEGREDO from the config). */
  segredo?: string;
}

export function normalizarRaiz(raiz: string | undefined): string {
  const r = (raiz ?? "").replace(/^\/+|\/+$/g, "");
  if (r && !r.split("/").every((parte) => /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(parte))) {
    throw new Error(
      `Prefixo inválido: '${r}'. Use partes de letras, dígitos, '.', '_' e '-' separadas por '/' (sem '..' nem partes vazias).`,
    );
  }
  return r;
}

/** The bucket of a layer (the config's LAKE_BUCKETS, in order raw, trusted, refined). */
export function bucketDaCamada(camada: Camada): string {
  const buckets = config().minio.buckets;
  const i = { raw: 0, trusted: 1, refined: 2 }[camada];
  const b = buckets[i];
  if (!b) throw new Error(`LAKE_BUCKETS não tem o bucket da camada ${camada} (esperado raw,trusted,refined).`);
  return b;
}

/** s3://<bucket da camada>/<raiz>/<caminho>. */
function urlTabela(camada: Camada, caminho: string, raiz?: string): string {
  const r = normalizarRaiz(raiz);
  return `s3://${bucketDaCamada(camada)}/${r ? `${r}/` : ""}${caminho}`;
}

export function tabela(camada: Camada, caminho: string, raiz?: string): TabelaDelta {
  return tabelaDelta(urlTabela(camada, caminho, raiz));
}

// ---------------------------------------------------------------------------------------------
// Pseudonymization (LGPD): a keyed HMAC-SHA256. The same input always gives the same token, so
// joins across tables still work (pedidos.id_pessoa = pessoas.id), but without the secret no
// one can recompute a token from a CPF or a name found elsewhere — unlike a plain hash of an
// 11-digit number, which a dictionary of every CPF reverses in minutes. Each kind of datum has
// its own domain ("pessoa:", "nome:", "telefone:"), so equal strings in different fields do
// not link.

export type Dominio = "pessoa" | "nome" | "telefone";

export function segredoPseudonimo(opcoes: OpcoesLakehouse = {}): string {
  const s = opcoes.segredo ?? config().lake.segredoPseudonimo;
  if (!s || s.length < 16) throw new Error("LAKE_PSEUDONIMO_SEGREDO precisa ter pelo menos 16 caracteres (defina-o em .env).");
  return s;
}

export function pseudonimizar(segredo: string, dominio: Dominio, valor: unknown): string | null {
  if (valor === null || valor === undefined) return null;
  return createHmac("sha256", segredo)
    .update(`${dominio}:${String(valor)}`)
    .digest("hex");
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** Today's date (UTC) as "YYYY-MM-DD": the ingestion partition. */
export function diaUtc(d: Date = new Date()): string {
  return d.toISOString().slice(0, 10);
}

/** Removes every object under <raiz>/ in the three buckets (test cleanup). */
export async function removerRaiz(raiz: string): Promise<number> {
  const r = normalizarRaiz(raiz);
  if (!r) throw new Error("removerRaiz() recusa apagar a raiz dos buckets: informe um prefixo.");
  let total = 0;
  for (const camada of ["raw", "trusted", "refined"] as const) total += await removerPrefixo(bucketDaCamada(camada), r);
  return total;
}

/** JSON with bigint as text (rows read back from Delta carry bigint for long columns). */
export function jsonSeguro(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x));
}

/**
 * Columns of a table as plain arrays (long → BigInt64Array, integer → Int32Array, string →
 * string[]), read straight from Arrow: watermarks scan millions of rows, and building a row
 * object for each (linhas()) would cost far more than the read itself.
 */
export async function lerColunas(
  t: TabelaDelta,
  nomes: string[],
  onde?: Parameters<TabelaDelta["ler"]>[0] extends infer O ? (O extends { onde?: infer P } ? P : never) : never,
): Promise<ArrayLike<unknown>[]> {
  const { tabela } = await t.ler({ colunas: nomes, ...(onde ? { onde } : {}) });
  return nomes.map((n) => tabela.getChild(n)!.toArray() as ArrayLike<unknown>);
}
