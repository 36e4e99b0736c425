// A lakehouse of a test file: its three layers under a temporary prefix of the buckets (removed
// at the end, the student's layers never touched), the CDC capture ready, and the OLTP rows the
// file writes removed at the end. Plus what "writes nothing" means for a Delta table, checked:
// the same version and the same objects (no commit, no orphan data file).
import { randomUUID } from "node:crypto";
import { after } from "node:test";
import { clienteMinio, type TabelaDelta } from "../../lib/lake/index";
import { removerRaiz } from "../../lib/lakehouse/index";
import { capturaPronta } from "./captura";
import { DadosDeTeste } from "./oltp";

export interface LakehouseDeTeste {
  /** `_testes/<nome>-<uuid>`: the prefix of this file's layers in the three buckets. */
  raiz: string;
  /** The OLTP rows this file creates (removed in after()). */
  dados: DadosDeTeste;
}

/** Registers the hooks of the calling file: capture ready before, OLTP rows and prefix removed after. */
export function lakehouseDeTeste(nome: string): LakehouseDeTeste {
  const lh: LakehouseDeTeste = { raiz: `_testes/${nome}-${randomUUID()}`, dados: new DadosDeTeste() };
  capturaPronta();
  after(async () => {
    await lh.dados.remover();
    await removerRaiz(lh.raiz);
  });
  return lh;
}

/** One table as stored: its version (-1 when it does not exist) and every object under it, with its ETag. */
export interface EstadoTabela {
  versao: number;
  objetos: string[];
}

/** The objects under a prefix of a bucket, each as "name etag", sorted. */
export async function objetosSob(bucket: string, prefixo: string): Promise<string[]> {
  const nomes: string[] = [];
  for await (const o of clienteMinio().listObjectsV2(bucket, prefixo, true) as AsyncIterable<{ name?: string; etag?: string }>) {
    if (o.name) nomes.push(`${o.name} ${o.etag ?? ""}`);
  }
  return nomes.sort();
}

/** The stored state of each table, by URL: compare two of them to prove nothing was written. */
export async function estadoDasTabelas(tabelas: readonly TabelaDelta[]): Promise<Record<string, EstadoTabela>> {
  const out: Record<string, EstadoTabela> = {};
  for (const t of tabelas) {
    const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(t.url);
    if (!m) throw new Error(`not an s3:// table: ${t.url}`);
    out[t.url] = {
      versao: (await t.existe()) ? (await t.instantaneo()).versao : -1,
      objetos: await objetosSob(m[1]!, `${m[2]!.replace(/\/$/, "")}/`),
    };
  }
  return out;
}
