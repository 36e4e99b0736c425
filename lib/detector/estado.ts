// Per person, the earliest sale instant overall and per device; the bootstrap's snapshot.
import { registrarNoHistorico, type HistoricoDePessoa } from "./regras";

/** Per person and device (null: an order without audit row), the earliest dt_venda in µs. */
export interface HistoricoDoBanco {
  id_pessoa: number;
  dispositivo: string | null;
  desde: number;
}

export class EstadoDispositivos {
  private readonly pessoas = new Map<number, HistoricoDePessoa>();

  get tamanho(): number {
    return this.pessoas.size;
  }

  historico(idPessoa: number): HistoricoDePessoa | undefined {
    return this.pessoas.get(idPessoa);
  }

  /** An order of the person at `instante` (device not known yet). */
  registrarPedido(idPessoa: number, instante: number): void {
    this.registrar(idPessoa, instante, null);
  }

  /** History read from the database; applying an order already known changes nothing. */
  aplicar(linhas: Iterable<HistoricoDoBanco>): void {
    for (const l of linhas) {
      this.registrar(l.id_pessoa, l.desde, l.dispositivo);
    }
  }

  /** An order of the person at `instante` with `dispositivo`. */
  registrarDispositivo(idPessoa: number, dispositivo: string, instante: number): void {
    this.registrar(idPessoa, instante, dispositivo);
  }

  private registrar(idPessoa: number, instante: number, dispositivo: string | null): void {
    let h = this.pessoas.get(idPessoa);
    if (!h) {
      h = { primeira: instante, dispositivos: new Map() };
      this.pessoas.set(idPessoa, h);
    }
    registrarNoHistorico(h, instante, dispositivo);
  }
}

/** A PostgreSQL snapshot (pg_current_snapshot): which transactions it sees as committed. */
export class Snapshot {
  private readonly xip: Set<number>;
  constructor(
    readonly xmin: number,
    readonly xmax: number,
    xip: Iterable<number>,
  ) {
    this.xip = new Set(xip);
  }

  /** "xmin:xmax:xip,…" (xid8 text); kept as 32-bit xids, which is what Debezium's source.txId holds. */
  static ler(texto: string): Snapshot {
    const [xmin, xmax, xip = ""] = texto.split(":");
    const x32 = (s: string) => Number(BigInt(s) % 4294967296n);
    return new Snapshot(x32(xmin), x32(xmax), xip.split(",").filter(Boolean).map(x32));
  }

  /** Whether transaction `txId` had committed when the snapshot was taken (circular xid order). */
  ve(txId: number): boolean {
    const antes = (a: number, b: number) => ((a - b) | 0) < 0;
    if (antes(txId, this.xmin)) return true;
    return antes(txId, this.xmax) && !this.xip.has(txId);
  }
}
