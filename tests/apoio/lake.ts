// Shared by the lib/lake tests (unit lane in memory, integration lane on MinIO): the sales schema
// and rows they write, the concurrent-writers scenario both lanes run, and a storage wrapper that
// lets another writer commit right before ours, so a lost race is staged without timing luck.
import assert from "node:assert/strict";
import { type Armazenamento, type InfoObjeto, type Linha, type TabelaDelta, lerAcoes, nomeCommit, PASTA_LOG } from "../../lib/lake/index";

export const ESQUEMA = {
  id: "long not null",
  cliente: "string",
  valor: "decimal(12,2)",
  dia: "date",
  ts: "timestamp",
  qtd: "integer",
  preco: "double",
  ok: "boolean",
};

/** n sales rows from id `desde`: three days (id % 3), nulls in cliente (id % 11) and qtd (id % 5). */
export function vendas(n: number, desde = 0): Linha[] {
  return Array.from({ length: n }, (_, k) => {
    const i = desde + k;
    return {
      id: BigInt(i),
      cliente: i % 11 === 0 ? null : `cliente-${i % 7}`,
      valor: `${Math.floor(i / 4)}.${String((i * 37) % 100).padStart(2, "0")}`,
      dia: `2024-03-0${1 + (i % 3)}`,
      ts: `2024-03-0${1 + (i % 3)}T10:00:00.${String(i % 1_000_000).padStart(6, "0")}Z`,
      qtd: i % 5 === 0 ? null : i % 10,
      preco: i / 8,
      ok: i % 2 === 0,
    };
  });
}

/** A row at the edges: an id beyond 2^53, multi-byte text, the smallest decimal and int, -1 µs. */
export const EXTREMO: Linha = {
  id: 9_007_199_254_740_993n,
  cliente: "ção 🚀",
  valor: "-9999999999.99",
  dia: "2024-03-01",
  ts: "1969-12-31T23:59:59.999999Z",
  qtd: -2147483648,
  preco: -0,
  ok: null,
};

/** The ids of some rows, as numbers, sorted. */
export function ids(linhas: Linha[]): number[] {
  return linhas.map((l) => Number(l.id)).sort((a, b) => a - b);
}

/**
 * Two writers, each appending `vezes` batches to the same (empty, created) table at once, each
 * through its own TabelaDelta from `abrir`: every commit lands exactly once (versions 1..2N, none
 * overwritten), the rows add up, and each commit file holds one writer's batch (3 partitions).
 */
export async function provarEscritoresConcorrentes(abrir: () => TabelaDelta, vezes = 12): Promise<void> {
  const escritor = async (w: number) => {
    const t = abrir();
    const versoes: number[] = [];
    for (let k = 0; k < vezes; k++) versoes.push((await t.anexar(vendas(5, w * 10_000 + k * 5))).versao);
    return versoes;
  };
  const [a, b] = await Promise.all([escritor(1), escritor(2)]);
  const todas = [...a!, ...b!].sort((x, y) => x - y);
  assert.deepEqual(
    todas,
    Array.from({ length: 2 * vezes }, (_, i) => i + 1),
    "versions 1..2N, each once",
  );
  const t = abrir();
  assert.equal((await t.instantaneo()).versao, 2 * vezes);
  const linhas = await t.linhas();
  assert.equal(linhas.length, 2 * vezes * 5);
  assert.equal(new Set(linhas.map((l) => l.id)).size, linhas.length);
  for (let v = 1; v <= 2 * vezes; v++) {
    const chave = `${PASTA_LOG}/${nomeCommit(v)}`;
    const acoes = lerAcoes(Buffer.from(await t.arm.ler(chave)).toString("utf8"), chave);
    assert.equal(acoes.filter((x) => "add" in x).length, 3, `v${v}`);
  }
}

/**
 * Delegates to another storage; `antesDoProximoCommit(f)` runs f once, right before the next
 * conditional write (a commit attempt), so another writer can win that version first.
 */
export class ArmazenamentoComGancho implements Armazenamento {
  private gancho?: () => Promise<void>;

  constructor(private readonly base: Armazenamento) {}

  get url(): string {
    return this.base.url;
  }

  antesDoProximoCommit(f: () => Promise<void>): void {
    this.gancho = f;
  }

  ler(chave: string): Promise<Uint8Array> {
    return this.base.ler(chave);
  }

  lerSeExistir(chave: string): Promise<Uint8Array | undefined> {
    return this.base.lerSeExistir(chave);
  }

  gravar(chave: string, bytes: Uint8Array, sha256?: string): Promise<void> {
    return this.base.gravar(chave, bytes, sha256);
  }

  async gravarSeAusente(chave: string, bytes: Uint8Array): Promise<boolean> {
    const f = this.gancho;
    this.gancho = undefined;
    if (f) await f();
    return this.base.gravarSeAusente(chave, bytes);
  }

  listar(prefixo: string, aPartirDe?: string): Promise<InfoObjeto[]> {
    return this.base.listar(prefixo, aPartirDe);
  }

  remover(chaves: string[]): Promise<void> {
    return this.base.remover(chaves);
  }
}
