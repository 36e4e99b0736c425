// An Armazenamento in memory: a Delta table with no MinIO, for unit tests and for trying the
// log out in a notebook. It keeps the contract the log relies on: gravarSeAusente is an atomic
// create-if-absent (what `If-None-Match: *` gives on S3), listings come in key order (UTF-8
// bytes, as S3 sorts; with S3's start-after), and every object has a size and a modification time. Each call yields to
// the event loop first, as a network round trip would, so concurrent writers really interleave.
import { ErroLake } from "./erros";
import type { Armazenamento, InfoObjeto } from "./armazenamento";

interface Objeto {
  bytes: Uint8Array;
  modificado: Date;
}

const proximaVolta = () => new Promise<void>((r) => setImmediate(r));

export class ArmazenamentoMemoria implements Armazenamento {
  private readonly objetos = new Map<string, Objeto>();

  /** `relogio` says what time a write happens at (tests move it to age files). */
  constructor(
    readonly url = "memoria://tabela",
    private readonly relogio: () => Date = () => new Date(),
  ) {}

  async ler(chave: string): Promise<Uint8Array> {
    const b = await this.lerSeExistir(chave);
    if (!b) throw new ErroLake(`Objeto não encontrado: ${this.url}/${chave}.`);
    return b;
  }

  async lerSeExistir(chave: string): Promise<Uint8Array | undefined> {
    await proximaVolta();
    const o = this.objetos.get(chave);
    return o?.bytes.slice();
  }

  async gravar(chave: string, bytes: Uint8Array): Promise<void> {
    await proximaVolta();
    this.objetos.set(chave, { bytes: bytes.slice(), modificado: this.relogio() });
  }

  async gravarSeAusente(chave: string, bytes: Uint8Array): Promise<boolean> {
    await proximaVolta();
    // Check and set with no await in between: nothing can slip in, as with a conditional PUT.
    if (this.objetos.has(chave)) return false;
    this.objetos.set(chave, { bytes: bytes.slice(), modificado: this.relogio() });
    return true;
  }

  async listar(prefixo: string, aPartirDe?: string): Promise<InfoObjeto[]> {
    await proximaVolta();
    return [...this.objetos]
      .filter(([k]) => k.startsWith(prefixo) && (aPartirDe === undefined || k > aPartirDe))
      .sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
      .map(([chave, o]) => ({ chave, tamanho: o.bytes.length, modificado: o.modificado }));
  }

  async remover(chaves: string[]): Promise<void> {
    await proximaVolta();
    for (const k of chaves) this.objetos.delete(k);
  }
}
