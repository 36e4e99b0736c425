// The engine: joins the two halves of an order, keeps the state current, decides when an order
// can be judged and which Kafka offsets are safe to commit. Pure, in memory.
import { decodificar, type EventoCdc } from "../cdc/index";
import { ufDoGeohash, type Localizacao } from "../geo";
import { EstadoDispositivos, type Snapshot, type HistoricoDoBanco } from "./estado";
import { avaliarRegras, instanteUs, usadoAntes, type FatosDoPedido, type Regra } from "./regras";

export const MAX_PENDENTES_PADRAO = 100_000;
/** A complete order is judged after this long even if an earlier order of its transaction or person is still missing. */
export const ESPERA_MAXIMA_MS = 3000;

export interface Posicao {
  topico: string;
  particao: number;
  offset: number;
}

export interface LinhaPedido {
  id: number;
  id_pessoa: number;
  dt_venda: string;
}

export interface LinhaAuditoria {
  id_pedido: number;
  dispositivo: string;
  geohash: string;
}

export type TabelaDetector = "pedidos" | "auditoria_pedidos";

interface MetadePedido {
  id_pessoa: number;
  dt: number;
  dt_iso: string;
  commit_ts_ms: number;
  /** Transaction (source.txId) and this row's position among the transaction's pedidos rows (1-based). */
  tx?: string;
  ordem?: number;
  /** The transaction was visible in the bootstrap snapshot: the state already has all before it. */
  noEstadoInicial: boolean;
}

interface Pendente {
  pedido?: MetadePedido;
  auditoria?: { dispositivo: string; geohash: string; commit_ts_ms: number };
  posicoes: Posicao[];
  /** When the first half arrived (ms). */
  criadoEm: number;
  completoEm?: number;
  /** Some half came from a transaction visible in the bootstrap snapshot: the order is in the database. */
  visivel: boolean;
}

/** An order read back from the database to complete a half whose other half will not come. */
export interface PedidoDoBanco {
  id: number;
  id_pessoa: number;
  /** µs since the epoch. */
  dt_us: number;
  dt_iso: string;
  dispositivo: string;
  geohash: string;
}

interface RastroTransacao {
  /** Largest k such that pedidos rows 1..k of the transaction have arrived. */
  contiguo: number;
  acima: Set<number>;
}

interface RastroParticao {
  topic: string;
  partition: number;
  /** Offsets of messages whose order is still in the buffer (inserted in ascending order). */
  emAberto: Set<number>;
  ultimo: number;
  confirmado: number;
}

export interface Julgamento extends FatosDoPedido {
  dt_venda_iso: string;
  uf: Localizacao;
  regras: Regra[];
  /** Commit instant of the order's transaction (Debezium source.ts_ms). */
  commit_ts_ms: number;
  /** Judged by the ESPERA_MAXIMA_MS safety net rather than with everything before it in. */
  porTempo: boolean;
}

export interface ContadoresMotor {
  eventos: number;
  /** Halves completed from the database (their other half was before the group's offsets). */
  doBanco: number;
  ignorados: number;
  repetidos: number;
  invalidos: number;
  descartados: number;
  pendentes: number;
}

const MAX_TRANSACOES = 20_000;

export class MotorDeDeteccao {
  private readonly pendentes = new Map<number, Pendente>();
  /** Per person, orders with the pedidos half but no audit half yet: id_pedido → instant. */
  private readonly semAuditoria = new Map<number, Map<number, number>>();
  private readonly completos = new Set<number>();
  /** Orders judged lately: a half arriving after its order was judged (completed from the database) is not a new order. */
  private readonly julgados = new Set<number>();
  private readonly transacoes = new Map<string, RastroTransacao>();
  private readonly particoes = new Map<string, RastroParticao>();
  readonly contadores: ContadoresMotor = { eventos: 0, doBanco: 0, ignorados: 0, repetidos: 0, invalidos: 0, descartados: 0, pendentes: 0 };

  constructor(
    readonly estado: EstadoDispositivos = new EstadoDispositivos(),
    readonly snapshot?: Snapshot,
    readonly maxPendentes = MAX_PENDENTES_PADRAO,
    readonly esperaMaximaMs = ESPERA_MAXIMA_MS,
  ) {}

  /** Decodes a raw Kafka value (JsonConverter) and feeds it; a value that is not a change event counts as invalid. */
  receberBruto(tabela: TabelaDetector, valor: Buffer | string | null, posicao?: Posicao, agora = Date.now()): void {
    let evento: EventoCdc<unknown> | null;
    try {
      evento = decodificar<unknown>(valor);
    } catch {
      this.contadores.invalidos++;
      if (posicao && this.abrir(posicao)) this.fechar(posicao);
      return;
    }
    this.receber(tabela, evento, posicao, agora);
  }

  /** One change event of pedidos or auditoria_pedidos (null = tombstone) at its Kafka position. */
  receber(tabela: TabelaDetector, evento: EventoCdc<unknown> | null, posicao?: Posicao, agora = Date.now()): void {
    if (posicao && !this.abrir(posicao)) {
      this.contadores.repetidos++;
      return;
    }
    this.contadores.eventos++;
    const liberar = () => posicao && this.fechar(posicao);
    // Keyed by source.txId, not transaction.id: Debezium 3.6's id is "txId:lsn" with an LSN that
    // changes in the middle of a transaction, while data_collection_order goes on counting.
    let tx: string | undefined;
    let ordem: number | undefined;
    if (evento?.transaction && evento.source.txId != null) {
      tx = String(evento.source.txId);
      ordem = evento.transaction.data_collection_order;
      if (tabela === "pedidos") this.marcarNaTransacao(tx, ordem);
    }
    if (evento?.op === "r" && tabela === "pedidos" && evento.after) {
      // A snapshot row is an order that already existed: the bootstrap has it. It never enters
      // the join buffer (a snapshot streams a whole table before the next one: it would flood
      // it), and only refreshes the person's first-order instant, which a min makes harmless.
      const linha = evento.after as LinhaPedido;
      this.estado.registrarPedido(Number(linha.id_pessoa), instanteUs(linha.dt_venda));
    }
    // biome-ignore lint/complexity/useOptionalChain: the explicit check narrows evento for the lines below
    if (!evento || evento.op !== "c" || !evento.after) {
      this.contadores.ignorados++;
      liberar();
      return;
    }
    const id = Number(tabela === "pedidos" ? (evento.after as LinhaPedido).id : (evento.after as LinhaAuditoria).id_pedido);
    if (this.julgados.has(id)) {
      this.contadores.repetidos++;
      liberar();
      return;
    }
    const p = this.pendente(id, agora);
    // biome-ignore lint/complexity/useOptionalChain: a boolean, not number | boolean | undefined
    const visivel = evento.source.txId != null && this.snapshot !== undefined && this.snapshot.ve(Number(evento.source.txId));
    if (tabela === "pedidos") {
      const linha = evento.after as LinhaPedido;
      if (p.pedido) {
        // The same half again (a replay the offsets did not filter): nothing new.
        this.contadores.repetidos++;
        liberar();
        return;
      }
      const dt = instanteUs(linha.dt_venda);
      p.pedido = {
        id_pessoa: Number(linha.id_pessoa),
        dt,
        dt_iso: String(linha.dt_venda),
        commit_ts_ms: evento.source.ts_ms,
        tx,
        ordem,
        noEstadoInicial: visivel,
      };
      this.estado.registrarPedido(p.pedido.id_pessoa, dt);
      if (!p.auditoria) {
        let porPessoa = this.semAuditoria.get(p.pedido.id_pessoa);
        if (!porPessoa) {
          porPessoa = new Map();
          this.semAuditoria.set(p.pedido.id_pessoa, porPessoa);
        }
        porPessoa.set(id, dt);
      }
    } else {
      const linha = evento.after as LinhaAuditoria;
      if (p.auditoria) {
        this.contadores.repetidos++;
        liberar();
        return;
      }
      p.auditoria = { dispositivo: String(linha.dispositivo), geohash: String(linha.geohash), commit_ts_ms: evento.source.ts_ms };
    }
    if (visivel) p.visivel = true;
    if (posicao) p.posicoes.push(posicao);
    this.seCompleto(id, p, agora);
    this.limitar();
  }

  /**
   * Half-joined orders whose other half may never come, to be read from the database: those of
   * a transaction visible in the bootstrap snapshot (after a restart or at a new group's start,
   * the other half can lie before the offsets the group resumed from), and any half older than
   * esperaMaximaMs (a safety net). Orders committed after the bootstrap have both halves after
   * the group's offsets, so normally this is empty while streaming.
   */
  incompletosParaBuscar(agora = Date.now(), max = 5000): number[] {
    const ids: number[] = [];
    for (const [id, p] of this.pendentes) {
      if (p.pedido && p.auditoria) continue;
      if (p.visivel || agora - p.criadoEm >= this.esperaMaximaMs) ids.push(id);
      if (ids.length >= max) break;
    }
    return ids;
  }

  /** Completes the orders `procurados` with what the database has; one not found is dropped (deleted order). */
  completarDoBanco(procurados: readonly number[], linhas: readonly PedidoDoBanco[], agora = Date.now()): void {
    const achados = new Map(linhas.map((l) => [Number(l.id), l]));
    for (const id of procurados) {
      const p = this.pendentes.get(id);
      if (!p || (p.pedido && p.auditoria)) continue;
      const l = achados.get(id);
      if (!l) {
        this.remover(id, p);
        this.contadores.ignorados++;
        continue;
      }
      this.contadores.doBanco++;
      const commit = p.pedido?.commit_ts_ms ?? p.auditoria?.commit_ts_ms ?? agora;
      if (!p.pedido) {
        p.pedido = { id_pessoa: Number(l.id_pessoa), dt: l.dt_us, dt_iso: l.dt_iso, commit_ts_ms: commit, noEstadoInicial: p.visivel };
        this.estado.registrarPedido(p.pedido.id_pessoa, p.pedido.dt);
      }
      if (!p.auditoria) p.auditoria = { dispositivo: l.dispositivo, geohash: l.geohash, commit_ts_ms: commit };
      this.seCompleto(id, p, agora);
    }
    this.contadores.pendentes = this.pendentes.size;
  }

  /** Smallest id_pedido still in the buffer (null when empty): everything below it has been judged or dropped. */
  menorPendente(): number | null {
    let menor: number | null = null;
    for (const id of this.pendentes.keys()) if (menor === null || id < menor) menor = id;
    return menor;
  }

  private seCompleto(id: number, p: Pendente, agora: number): void {
    if (!p.pedido || !p.auditoria || p.completoEm !== undefined) return;
    p.completoEm = agora;
    this.completos.add(id);
    this.tirarDeSemAuditoria(p.pedido.id_pessoa, id);
    this.estado.registrarDispositivo(p.pedido.id_pessoa, p.auditoria.dispositivo, p.pedido.dt);
  }

  /**
   * The people whose orders colher(agora) would judge, among orders committed after the
   * bootstrap, and whose verdict unread history could still change: their history is to be
   * refreshed from the database first (historicoDoBanco). History only lowers minimums, so an
   * order whose device the state already saw in use before it stays clean of the device rule
   * whatever else arrives; most orders are such, and skip the database.
   */
  pessoasAJulgar(agora = Date.now()): number[] {
    const pessoas = new Set<number>();
    for (const id of this.completos) {
      const p = this.pendentes.get(id)!;
      const ped = p.pedido!;
      if (!this.julgavel(p, agora) || ped.noEstadoInicial) continue;
      if (!usadoAntes(this.estado.historico(ped.id_pessoa), p.auditoria!.dispositivo, ped.dt)) pessoas.add(ped.id_pessoa);
    }
    return [...pessoas];
  }

  /** Merges history read from the database (minimums: applying an order twice changes nothing). */
  reforcarEstado(linhas: readonly HistoricoDoBanco[]): void {
    this.estado.aplicar(linhas);
  }

  private julgavel(p: Pendente, agora: number): boolean {
    const ped = p.pedido!;
    return ped.noEstadoInicial || this.pronto(ped) || agora - (p.completoEm ?? agora) >= this.esperaMaximaMs;
  }

  /** The complete orders that can be judged now, judged (and removed from the buffer). */
  colher(agora = Date.now()): Julgamento[] {
    const prontos: Julgamento[] = [];
    for (const id of this.completos) {
      const p = this.pendentes.get(id)!;
      const ped = p.pedido!;
      const aud = p.auditoria!;
      if (!this.julgavel(p, agora)) continue;
      const esperando = !ped.noEstadoInicial && !this.pronto(ped);
      const fatos: FatosDoPedido = {
        id_pedido: id,
        id_pessoa: ped.id_pessoa,
        dt_venda: ped.dt,
        dispositivo: aud.dispositivo,
        geohash: aud.geohash,
      };
      prontos.push({
        ...fatos,
        dt_venda_iso: ped.dt_iso,
        uf: ufDoGeohash(aud.geohash),
        regras: avaliarRegras(fatos, this.estado.historico(ped.id_pessoa)),
        commit_ts_ms: ped.commit_ts_ms,
        porTempo: esperando,
      });
      this.completos.delete(id);
      this.remover(id, p);
      this.julgados.add(id);
      if (this.julgados.size > 2 * this.maxPendentes) this.julgados.delete(this.julgados.values().next().value as number);
    }
    this.contadores.pendentes = this.pendentes.size;
    return prontos;
  }

  /**
   * Offsets safe to commit now (kafkajs format: the next offset to read), per partition that
   * moved since the last call: up to the first message whose order is still in the buffer.
   */
  offsetsParaConfirmar(): { topic: string; partition: number; offset: string }[] {
    const out: { topic: string; partition: number; offset: string }[] = [];
    for (const r of this.particoes.values()) {
      const primeiro = r.emAberto.values().next();
      const proximo = primeiro.done ? r.ultimo + 1 : primeiro.value;
      if (proximo > r.confirmado) {
        out.push({ topic: r.topic, partition: r.partition, offset: String(proximo) });
        r.confirmado = proximo;
      }
    }
    return out;
  }

  get pendentesNoBuffer(): number {
    return this.pendentes.size;
  }

  private pronto(ped: MetadePedido): boolean {
    if (ped.tx !== undefined && ped.ordem !== undefined) {
      const t = this.transacoes.get(ped.tx);
      if (t && t.contiguo < ped.ordem) return false;
    }
    const outros = this.semAuditoria.get(ped.id_pessoa);
    if (outros) for (const dt of outros.values()) if (dt < ped.dt) return false;
    return true;
  }

  private marcarNaTransacao(tx: string, ordem: number): void {
    let t = this.transacoes.get(tx);
    if (!t) {
      t = { contiguo: 0, acima: new Set() };
      this.transacoes.set(tx, t);
      if (this.transacoes.size > MAX_TRANSACOES) this.transacoes.delete(this.transacoes.keys().next().value as string);
    }
    if (ordem <= t.contiguo) return;
    t.acima.add(ordem);
    while (t.acima.delete(t.contiguo + 1)) t.contiguo++;
  }

  private pendente(id: number, agora: number): Pendente {
    let p = this.pendentes.get(id);
    if (!p) {
      p = { posicoes: [], criadoEm: agora, visivel: false };
      this.pendentes.set(id, p);
    }
    return p;
  }

  private tirarDeSemAuditoria(idPessoa: number, idPedido: number): void {
    const porPessoa = this.semAuditoria.get(idPessoa);
    if (!porPessoa) return;
    porPessoa.delete(idPedido);
    if (porPessoa.size === 0) this.semAuditoria.delete(idPessoa);
  }

  private remover(id: number, p: Pendente): void {
    this.pendentes.delete(id);
    if (p.pedido) this.tirarDeSemAuditoria(p.pedido.id_pessoa, id);
    for (const pos of p.posicoes) this.fechar(pos);
  }

  /** Drops the oldest buffered orders beyond maxPendentes (never judged; offsets released). */
  private limitar(): void {
    while (this.pendentes.size > this.maxPendentes) {
      const [id, p] = this.pendentes.entries().next().value as [number, Pendente];
      this.completos.delete(id);
      this.remover(id, p);
      this.contadores.descartados++;
    }
    this.contadores.pendentes = this.pendentes.size;
  }

  /** Registers a message position; false if it was already seen (kafkajs re-delivery after a rebalance). */
  private abrir(pos: Posicao): boolean {
    const chave = `${pos.topico}/${pos.particao}`;
    let r = this.particoes.get(chave);
    if (!r) {
      r = { topic: pos.topico, partition: pos.particao, emAberto: new Set(), ultimo: pos.offset - 1, confirmado: pos.offset };
      this.particoes.set(chave, r);
    }
    if (pos.offset <= r.ultimo) return false;
    r.ultimo = pos.offset;
    r.emAberto.add(pos.offset);
    return true;
  }

  private fechar(pos: Posicao): void {
    this.particoes.get(`${pos.topico}/${pos.particao}`)?.emAberto.delete(pos.offset);
  }
}
