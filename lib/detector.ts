// Real-time fraud detection on the CDC stream (lesson 04b): the course's two rules applied to
// every new order as Debezium publishes it, one alert per suspicious order in Kafka.
//
// Pieces, from pure to I/O:
//   1. avaliarRegras: the rules on one order's facts and the person's history (pure).
//   2. EstadoDispositivos: per person, the earliest sale instant overall and per device.
//   3. MotorDeDeteccao: joins the two halves of an order (pedidos carries the person and the
//      instant, auditoria_pedidos the device and the geohash; same transaction, different
//      topics and partitions, any arrival order), keeps the state current, decides when an
//      order can be judged and which Kafka offsets are safe to commit. Pure, in memory.
//   4. executarDetector: Kafka consumer group + producer + PostgreSQL around the engine.
//
// Design decisions (the notebook 04b explains them to the student):
//
// * Same semantics as lib/fraude.ts auditarRotulos. "dispositivo": the person has an order
//   strictly earlier than this one (dt_venda) and no strictly earlier order with this device;
//   "local": the geohash is outside SP/MG/RJ (lib/geo localPermitido). The state keeps, per
//   person, MIN(dt_venda) overall and per device — both are order-independent and idempotent
//   (a min absorbs the same order twice, and later orders never change whether an earlier one
//   broke the rule). So an order can be judged against a state that already contains it, or
//   even later orders, with exactly the SQL audit's answer.
//
// * Bootstrap and stream overlap. At start the state is loaded ONCE from the database (every
//   order), in a REPEATABLE READ transaction whose snapshot is also recorded. Because the state
//   is a set of minimums, an order present both in the bootstrap and in the stream is applied
//   twice with no effect: there is no double counting to avoid. Which orders are JUDGED is
//   decided by Kafka offsets, not by the bootstrap: every insert ('c') consumed by the group is
//   judged; snapshot rows ('r') are orders that already existed and are never judged. A group
//   that has never committed is first positioned at the current end of the topics — before
//   the bootstrap, so an order committed in between is both in the state and judged, and none
//   falls in a gap. A restarted group resumes from its committed offsets; the orders committed
//   while it was down are in the new bootstrap and are judged again or for the first time —
//   the same answer either way. (Kafka forgets the offsets of a group left empty for 7 days:
//   such a group starts at the end again, like a new one.)
//
// * When an order is judged. Its rule needs every earlier order of the same person in the
//   state. Orders of a transaction visible in the bootstrap snapshot satisfy this by
//   construction (anything committed before them is in the snapshot too). For a transaction
//   committed later, an order waits until (a) every earlier pedidos row of its transaction has
//   arrived (Debezium's transaction.data_collection_order counts 1, 2, … per table within a
//   transaction, source.txId, while the rows are spread over partitions by key) and (b) no
//   known order of the same person with an earlier dt_venda is still missing its audit half.
//   Earlier TRANSACTIONS may not have reached the consumer yet: Debezium emits in commit
//   order, but Kafka keeps no order across partitions. They are committed, though, so just
//   before judging, the history of the people being judged is read again from the database
//   and merged (minimums again) — only for orders whose verdict more history could change: a
//   device already seen in use before the order can only stay "seen". A safety net judges any
//   complete order after ESPERA_MAXIMA_MS anyway (counted in julgadosPorTempo).
//
// * Halves that will never meet. When a group resumes (or a new group starts at the end of the
//   topics) in the middle of an order's events, one half can lie before the offsets and never
//   come again. Such an order is in a transaction visible in the bootstrap snapshot, so it is in
//   the database: its missing half is read from there (also, as a safety net, for any half
//   waiting longer than ESPERA_MAXIMA_MS). Without this, the orphan would hold its partition's
//   committed offset back forever.
//
// * Bounded buffer. At most maxPendentes half-joined or waiting orders are held (default
//   100 000 ≈ a few minutes of the generator at full speed); past that the oldest is dropped,
//   counted in `descartados` and never judged (its offsets are released, so the group moves on).
//
// * At-least-once, idempotent alerts. Offsets are committed manually, per partition, only up
//   to the first message whose order is still in the buffer, and only after the alerts of the
//   judged orders were acknowledged by Kafka (acks=all) and written to deteccao.alertas.
//   A crash replays from the last commit: the same order gives the same alert with the same
//   key (id_pedido) in a compacted topic, and ON CONFLICT DO NOTHING in the table.
//
// * One detector per consumer group (checked at start): the two topics are not co-partitioned,
//   so two members would each hold halves the other needs (scaling out would first re-key
//   both streams by id_pedido into co-partitioned topics).
//
// * Updates and deletes of orders and audit rows are ignored (the store is insert-only);
//   tombstones and other tables too.
import { Partitioners, type Admin, type ConfigResourceTypes, type Consumer, type Producer } from "kafkajs";
import { randomUUID } from "node:crypto";
import pg from "pg";
import { clienteKafka, decodificar, topicoDaTabela, type EventoCdc } from "./cdc";
import { config } from "./config";
import { emTransacao, query, withClient } from "./db";
import { ErroDeUso } from "./geradores";
import { intervaloWilson, type Intervalo } from "./analises";
import { localPermitido, ufDoGeohash, type Localizacao } from "./geo";

export type Regra = "dispositivo" | "local";
export const REGRAS: readonly Regra[] = ["dispositivo", "local"];

/** The alerts topic: key = id_pedido, compacted so a replay keeps one value per order. */
export const TOPICO_ALERTAS = "fraude.alertas";
/** The detector's consumer group: its committed offsets are where a restart resumes. */
export const GRUPO_PADRAO = "liga-sudoers-detector";
export const MAX_PENDENTES_PADRAO = 100_000;
/** A complete order is judged after this long even if an earlier order of its transaction or person is still missing. */
export const ESPERA_MAXIMA_MS = 3000;

// kafkajs' ConfigResourceTypes enum is not among the names Node's ESM loader detects in its
// CommonJS index: the protocol value of a topic resource, typed as the enum.
const RECURSO_TOPICO = 2 as ConfigResourceTypes.TOPIC;

// ---------------------------------------------------------------------------------------------
// 1. The rules (pure)

export interface FatosDoPedido {
  id_pedido: number;
  id_pessoa: number;
  /** Sale instant in microseconds since the epoch (PostgreSQL's resolution). */
  dt_venda: number;
  dispositivo: string;
  geohash: string;
}

export interface HistoricoDePessoa {
  /** Earliest sale instant (µs) among the person's known orders. */
  primeira: number;
  /** Earliest sale instant (µs) per device the person used. */
  dispositivos: Map<string, number>;
}

/**
 * The rules an order breaks, given the person's history (which may already include this order
 * and later ones: only strictly earlier instants count). No history = first order: no device rule.
 */
export function avaliarRegras(f: FatosDoPedido, historico: HistoricoDePessoa | undefined): Regra[] {
  const regras: Regra[] = [];
  if (historico !== undefined && historico.primeira < f.dt_venda) {
    const desde = historico.dispositivos.get(f.dispositivo);
    if (desde === undefined || desde >= f.dt_venda) regras.push("dispositivo");
  }
  if (!localPermitido(f.geohash)) regras.push("local");
  return regras;
}

/** "2026-11-25T23:12:14.191000Z" (Debezium ZonedTimestamp), a Date or epoch ms → µs since the epoch. */
export function instanteUs(valor: string | Date | number): number {
  if (valor instanceof Date) return valor.getTime() * 1000;
  if (typeof valor === "number") return valor * 1000;
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/.exec(valor.trim());
  if (!m) throw new Error(`Instante inválido: "${valor}". Esperado ISO 8601 com fuso (ex.: 2025-01-31T12:00:00.123456Z).`);
  const ms = Date.parse(`${m[1]}${m[3] ?? "Z"}`);
  return ms * 1000 + Number((m[2] ?? "").padEnd(6, "0").slice(0, 6));
}

// ---------------------------------------------------------------------------------------------
// 2. Device state

export class EstadoDispositivos {
  private readonly pessoas = new Map<number, HistoricoDePessoa>();

  get tamanho(): number {
    return this.pessoas.size;
  }

  historico(idPessoa: number): HistoricoDePessoa | undefined {
    return this.pessoas.get(idPessoa);
  }

  /** An order of the person at `instante` (device not known yet). */
  registrarPedido(idPessoa: number, instante: number): HistoricoDePessoa {
    let h = this.pessoas.get(idPessoa);
    if (!h) {
      h = { primeira: instante, dispositivos: new Map() };
      this.pessoas.set(idPessoa, h);
    } else if (instante < h.primeira) {
      h.primeira = instante;
    }
    return h;
  }

  /** History read from the database; applying an order already known changes nothing. */
  aplicar(linhas: Iterable<HistoricoDoBanco>): void {
    for (const l of linhas) {
      if (l.dispositivo === null) this.registrarPedido(l.id_pessoa, l.desde);
      else this.registrarDispositivo(l.id_pessoa, l.dispositivo, l.desde);
    }
  }

  /** An order of the person at `instante` with `dispositivo`. */
  registrarDispositivo(idPessoa: number, dispositivo: string, instante: number): void {
    const h = this.registrarPedido(idPessoa, instante);
    const desde = h.dispositivos.get(dispositivo);
    if (desde === undefined || instante < desde) h.dispositivos.set(dispositivo, instante);
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

// ---------------------------------------------------------------------------------------------
// 3. The engine: join, readiness, offsets

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
        if (!porPessoa) this.semAuditoria.set(p.pedido.id_pessoa, (porPessoa = new Map()));
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
      const desde = this.estado.historico(ped.id_pessoa)?.dispositivos.get(p.auditoria!.dispositivo);
      if (desde === undefined || desde >= ped.dt) pessoas.add(ped.id_pessoa);
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
      const fatos: FatosDoPedido = { id_pedido: id, id_pessoa: ped.id_pessoa, dt_venda: ped.dt, dispositivo: aud.dispositivo, geohash: aud.geohash };
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

// ---------------------------------------------------------------------------------------------
// 4. Kafka and PostgreSQL around the engine

export interface Alerta {
  id_pedido: number;
  id_pessoa: number;
  regras: Regra[];
  dispositivo: string;
  geohash: string;
  uf: Localizacao;
  /** Sale instant as Debezium sent it (ISO 8601, µs). */
  dt_venda: string;
  /** Commit instant of the order's transaction (Debezium source.ts_ms). */
  commit_ts_ms: number;
  /** When the detector judged it (ISO 8601). */
  detectado_em: string;
}

export interface ProgressoDetector {
  eventos: number;
  pedidosJulgados: number;
  alertas: number;
  porRegra: Record<Regra, number>;
  /** Orders half-joined or waiting in the buffer. */
  pendentes: number;
  /** Smallest id_pedido in the buffer (null when empty): every order below it was judged (or existed before the run). */
  menorPendente: number | null;
  /** Halves completed from the database because the other half lay before the group's offsets. */
  completadosDoBanco: number;
  descartados: number;
  /** Orders judged by the safety net (something before them never arrived in time). */
  julgadosPorTempo: number;
  /** Smallest and largest id_pedido judged in this run (null before the first). */
  primeiroPedido: number | null;
  ultimoPedido: number | null;
  /** detectado_em − commit of the last alerted order, ms. */
  ultimoAtrasoMs: number | null;
  segundos: number;
}

export interface InicioDetector {
  grupo: string;
  topicos: string[];
  /** The group had no committed offsets: it starts at the end of the topics. */
  grupoNovo: boolean;
  pessoas: number;
  pedidos: number;
}

export interface ResumoDetector extends ProgressoDetector {
  grupo: string;
  inicio: Date;
  fim: Date;
  /** The range of order ids this run judged, for medirDeteccao (null if it judged none). */
  faixa: FaixaDePedidos | null;
}

export interface FaixaDePedidos {
  de: number;
  ate: number;
}

export interface OpcoesDetector {
  /** Stop after this long (no limit when neither duracaoMs nor ate is given). */
  duracaoMs?: number;
  /** Checked every 100 ms: true stops cleanly (commit what is done, disconnect). */
  ate?: () => boolean;
  aoAlertar?: (alerta: Alerta) => void;
  aoProgredir?: (p: ProgressoDetector) => void;
  /** Called when alerts were published and the commit of their offsets waits atrasoCommitMs. */
  aoAtrasarCommit?: (alertas: number) => void;
  /** Called once the state is loaded and the group positioned: orders committed from now on will be judged. */
  aoIniciar?: (info: InicioDetector) => void;
  grupo?: string;
  /** Also write alerts to deteccao.alertas (default true). */
  gravarTabela?: boolean;
  maxPendentes?: number;
  /**
   * Waits this long between publishing a step's alerts and committing its offsets (default 0).
   * Only to demonstrate and test at-least-once: a crash in that window replays alerts.
   */
  atrasoCommitMs?: number;
}

function topicosDeEntrada(): { topicos: string[]; tabelaDe: (topico: string) => TabelaDetector } {
  const pedidos = topicoDaTabela("pedidos");
  return { topicos: [pedidos, topicoDaTabela("auditoria_pedidos")], tabelaDe: (t) => (t === pedidos ? "pedidos" : "auditoria_pedidos") };
}

/** The schema of the detector's own tables (outside the store's model and the answer key). */
export async function garantirTabelasDeteccao(client: pg.ClientBase): Promise<void> {
  await emTransacao(client, async () => {
    // Serialises concurrent detectors creating the schema (CREATE … IF NOT EXISTS can still race).
    await client.query("SELECT pg_advisory_xact_lock(hashtext('liga_sudoers.deteccao'))");
    await client.query(`
      CREATE SCHEMA IF NOT EXISTS deteccao;
      CREATE TABLE IF NOT EXISTS deteccao.alertas (
        id_pedido    bigint      NOT NULL,
        id_pessoa    bigint      NOT NULL,
        regras       text[]      NOT NULL,
        dispositivo  text        NOT NULL,
        geohash      text        NOT NULL,
        uf           text        NOT NULL,
        dt_venda     timestamptz NOT NULL,
        commit_em    timestamptz NOT NULL,
        detectado_em timestamptz NOT NULL,
        CONSTRAINT alertas_pkey PRIMARY KEY (id_pedido),
        CONSTRAINT alertas_regras_check CHECK (cardinality(regras) > 0 AND regras <@ ARRAY['dispositivo', 'local'])
      );
      CREATE TABLE IF NOT EXISTS deteccao.execucoes (
        id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        grupo           text        NOT NULL,
        inicio          timestamptz NOT NULL,
        fim             timestamptz NOT NULL,
        primeiro_pedido bigint,
        ultimo_pedido   bigint,
        pedidos_julgados integer    NOT NULL,
        alertas         integer     NOT NULL
      );
      COMMENT ON TABLE deteccao.alertas IS
        'Alertas do detector em tempo real (um por pedido suspeito; regravar o mesmo pedido não faz nada).';
      COMMENT ON TABLE deteccao.execucoes IS 'Cada execução do detector: quando e que faixa de pedidos julgou.';`);
  });
}

async function gravarAlertas(client: pg.ClientBase, alertas: readonly Alerta[]): Promise<void> {
  if (alertas.length === 0) return;
  await client.query(
    `INSERT INTO deteccao.alertas (id_pedido, id_pessoa, regras, dispositivo, geohash, uf, dt_venda, commit_em, detectado_em)
     SELECT a.id_pedido, a.id_pessoa, string_to_array(a.regras, ','), a.dispositivo, a.geohash, a.uf, a.dt_venda,
            to_timestamp(a.commit_ms / 1000.0), a.detectado_em
       FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::float8[], $9::timestamptz[])
            AS a(id_pedido, id_pessoa, regras, dispositivo, geohash, uf, dt_venda, commit_ms, detectado_em)
     ON CONFLICT (id_pedido) DO NOTHING`,
    [
      alertas.map((a) => a.id_pedido),
      alertas.map((a) => a.id_pessoa),
      alertas.map((a) => a.regras.join(",")),
      alertas.map((a) => a.dispositivo),
      alertas.map((a) => a.geohash),
      alertas.map((a) => a.uf),
      alertas.map((a) => a.dt_venda),
      alertas.map((a) => a.commit_ts_ms),
      alertas.map((a) => a.detectado_em),
    ],
  );
}

/** Orders by id with both halves, as the engine needs them. */
async function buscarPedidos(client: pg.ClientBase, ids: readonly number[]): Promise<PedidoDoBanco[]> {
  const { rows } = await client.query<PedidoDoBanco>(
    `SELECT p.id, p.id_pessoa, floor(extract(epoch FROM p.dt_venda) * 1000000)::float8 AS dt_us,
            to_char(p.dt_venda AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS dt_iso, a.dispositivo, a.geohash
       FROM public.pedidos p JOIN public.auditoria_pedidos a ON a.id_pedido = p.id
      WHERE p.id = ANY($1::bigint[])`,
    [ids],
  );
  return rows.map((r) => ({ ...r, id: Number(r.id), id_pessoa: Number(r.id_pessoa) }));
}

/** Per person and device (null: an order without audit row), the earliest dt_venda in µs. */
export interface HistoricoDoBanco {
  id_pessoa: number;
  dispositivo: string | null;
  desde: number;
}

const SQL_HISTORICO = `
  SELECT p.id_pessoa::text AS id_pessoa, a.dispositivo,
         floor(extract(epoch FROM min(p.dt_venda)) * 1000000)::float8 AS desde, count(*)::int AS pedidos
    FROM public.pedidos p LEFT JOIN public.auditoria_pedidos a ON a.id_pedido = p.id`;

/** The history of some people as the database has it now (every transaction committed so far). */
export async function historicoDoBanco(client: pg.ClientBase, pessoas: readonly number[]): Promise<HistoricoDoBanco[]> {
  const { rows } = await client.query<{ id_pessoa: string; dispositivo: string | null; desde: number }>(
    `${SQL_HISTORICO} WHERE p.id_pessoa = ANY($1::bigint[]) GROUP BY 1, 2`,
    [pessoas],
  );
  return rows.map((r) => ({ id_pessoa: Number(r.id_pessoa), dispositivo: r.dispositivo, desde: r.desde }));
}

/**
 * The device state of every person over every order in the database, and the snapshot it was
 * read at (one REPEATABLE READ transaction, so both agree).
 */
export async function carregarEstadoInicial(client: pg.ClientBase): Promise<{ estado: EstadoDispositivos; snapshot: Snapshot; pedidos: number }> {
  await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  try {
    const snap = await client.query<{ s: string }>("SELECT pg_current_snapshot()::text AS s");
    const { rows } = await client.query<{ id_pessoa: string; dispositivo: string | null; desde: number; pedidos: number }>(`${SQL_HISTORICO} GROUP BY 1, 2`);
    await client.query("COMMIT");
    const estado = new EstadoDispositivos();
    estado.aplicar(rows.map((r) => ({ id_pessoa: Number(r.id_pessoa), dispositivo: r.dispositivo, desde: r.desde })));
    const pedidos = rows.reduce((n, r) => n + r.pedidos, 0);
    return { estado, snapshot: Snapshot.ler(snap.rows[0].s), pedidos };
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
}

/** Creates the alerts topic (compacted, one partition) or makes sure an existing one is compacted. */
export async function garantirTopicoDeAlertas(admin: Admin): Promise<void> {
  const existentes = await admin.listTopics();
  if (!existentes.includes(TOPICO_ALERTAS)) {
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic: TOPICO_ALERTAS, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: "cleanup.policy", value: "compact" }] }],
      });
      return;
    } catch (err) {
      // Another detector created it meanwhile: fall through to the check.
      if (!/already exists/i.test((err as Error).message)) throw err;
    }
  }
  if ((await politicaDoTopico(admin)) !== "compact") {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: RECURSO_TOPICO, name: TOPICO_ALERTAS, configEntries: [{ name: "cleanup.policy", value: "compact" }] }],
    });
  }
}

async function politicaDoTopico(admin: Admin): Promise<string | undefined> {
  const d = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: RECURSO_TOPICO, name: TOPICO_ALERTAS, configNames: ["cleanup.policy"] }],
  });
  return d.resources[0]?.configEntries.find((c) => c.configName === "cleanup.policy")?.configValue;
}

/**
 * A group with no committed offset on some partition gets the partition's current end: it will
 * see only what is published from now on (and nothing between now and its first fetch is lost).
 * Returns true when the group was new.
 */
export async function posicionarGrupoNoFim(admin: Admin, grupo: string, topicos: string[]): Promise<boolean> {
  let novo = false;
  const atuais = await admin.fetchOffsets({ groupId: grupo, topics: topicos });
  for (const { topic, partitions } of atuais) {
    const semCommit = partitions.filter((p) => Number(p.offset) < 0).map((p) => p.partition);
    if (semCommit.length === 0) continue;
    novo = true;
    const fins = await admin.fetchTopicOffsets(topic);
    await admin.setOffsets({
      groupId: grupo,
      topic,
      partitions: fins.filter((f) => semCommit.includes(f.partition)).map((f) => ({ partition: f.partition, offset: f.high })),
    });
  }
  return novo;
}

const pausa = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Session timeout of the detector's consumer: a killed detector leaves the group after this long. */
const SESSAO_MS = 10_000;

/**
 * One detector per group: the two halves of an order travel in different topics whose keys
 * ({"id":…} and {"id_pedido":…}) hash to different partitions, so two members of a group would
 * each get halves the other needs. A member left behind by a killed detector expires after the
 * session timeout: wait that long before refusing.
 */
async function exigirGrupoVazio(admin: Admin, grupo: string): Promise<void> {
  const limite = Date.now() + SESSAO_MS + 5000;
  for (;;) {
    const { groups } = await admin.describeGroups([grupo]);
    const membros = groups[0]?.members.length ?? 0;
    if (membros === 0) return;
    if (Date.now() > limite) {
      throw new ErroDeUso(
        `Já há um detector ativo no grupo ${grupo}. Cada grupo aceita um detector só (as duas metades de um pedido ` +
          "precisam chegar ao mesmo processo): pare o outro ou use outro grupo (--grupo).",
      );
    }
    await pausa(500);
  }
}

/**
 * Runs the detector: consumes the pedidos and auditoria_pedidos CDC topics in a consumer group,
 * judges every new order, publishes one alert per suspicious order to `fraude.alertas` (and
 * deteccao.alertas) and commits offsets only after that. Stops cleanly at duracaoMs or when
 * `ate()` is true; rejects with an ErroDeUso when Kafka, the CDC topics or PostgreSQL are missing.
 */
export async function executarDetector(opts: OpcoesDetector = {}): Promise<ResumoDetector> {
  if (opts.duracaoMs !== undefined && !(Number.isInteger(opts.duracaoMs) && opts.duracaoMs > 0)) {
    throw new ErroDeUso(`Duração inválida: ${opts.duracaoMs}. Esperado um número inteiro de milissegundos maior que zero.`);
  }
  if (opts.maxPendentes !== undefined && !(Number.isInteger(opts.maxPendentes) && opts.maxPendentes > 0)) {
    throw new ErroDeUso(`Limite do buffer inválido: ${opts.maxPendentes}. Esperado um inteiro maior que zero.`);
  }
  if (opts.atrasoCommitMs !== undefined && !(Number.isInteger(opts.atrasoCommitMs) && opts.atrasoCommitMs >= 0 && opts.atrasoCommitMs <= 60_000)) {
    throw new ErroDeUso(`Atraso do commit inválido: ${opts.atrasoCommitMs}. Esperado um inteiro de 0 a 60000 ms.`);
  }
  const grupo = opts.grupo ?? GRUPO_PADRAO;
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(grupo)) {
    throw new ErroDeUso(`Grupo inválido: "${grupo}". Use letras, dígitos, ponto, hífen ou sublinhado.`);
  }
  const gravarTabela = opts.gravarTabela ?? true;
  const inicio = new Date();
  const { topicos, tabelaDe } = topicosDeEntrada();
  const kafka = clienteKafka(`liga-sudoers-detector`);
  const admin = kafka.admin();
  const { kafka: k, oltp } = config();
  try {
    await admin.connect();
  } catch (err) {
    throw new ErroDeUso(`Não consegui conectar ao Kafka em ${k.brokers.join(", ")}: ${(err as Error).message}. A stack está no ar? Rode \`npm run stack -- up\`.`);
  }
  let client: pg.Client | undefined;
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;
  try {
    const existentes = new Set(await admin.listTopics());
    const faltam = topicos.filter((t) => !existentes.has(t));
    if (faltam.length) {
      throw new ErroDeUso(
        `Os tópicos do CDC não existem: ${faltam.join(", ")}. Registre o conector Debezium primeiro ` +
          "(notebook 04, ou prepararCaptura() e registrarConector() de lib/cdc).",
      );
    }
    await garantirTopicoDeAlertas(admin);
    await exigirGrupoVazio(admin, grupo);
    // Positioned BEFORE the bootstrap: an order committed in between is in both, never in neither.
    const grupoNovo = await posicionarGrupoNoFim(admin, grupo, topicos);

    client = new pg.Client({ ...oltp, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
    } catch (err) {
      throw new ErroDeUso(`Não consegui conectar ao PostgreSQL OLTP em ${oltp.host}:${oltp.port}: ${(err as Error).message}.`);
    }
    const db = client;
    if (gravarTabela) await garantirTabelasDeteccao(db);
    const inicial = await carregarEstadoInicial(db);
    const motor = new MotorDeDeteccao(inicial.estado, inicial.snapshot, opts.maxPendentes ?? MAX_PENDENTES_PADRAO);

    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await producer.connect();
    const prod = producer;
    consumer = kafka.consumer({ groupId: grupo, maxWaitTimeInMs: 200, sessionTimeout: SESSAO_MS, heartbeatInterval: 1000, allowAutoTopicCreation: false });
    await consumer.connect();
    const cons = consumer;

    const prog: ProgressoDetector = {
      eventos: 0, pedidosJulgados: 0, alertas: 0, porRegra: { dispositivo: 0, local: 0 }, pendentes: 0, menorPendente: null,
      completadosDoBanco: 0, descartados: 0,
      julgadosPorTempo: 0, primeiroPedido: null, ultimoPedido: null, ultimoAtrasoMs: null, segundos: 0,
    };
    let fatal: Error | undefined;
    // One processing step at a time: a batch from kafkajs and the safety-net timer share the engine.
    let fila: Promise<void> = Promise.resolve();
    const exclusivo = (fn: () => Promise<void>): Promise<void> => {
      const p = fila.then(fn);
      fila = p.catch(() => undefined);
      return p;
    };

    const processar = async (): Promise<void> => {
      const buscar = motor.incompletosParaBuscar();
      if (buscar.length) motor.completarDoBanco(buscar, await buscarPedidos(db, buscar));
      const agora = Date.now();
      // Kafka gives no order across partitions: an earlier transaction of the same person may
      // still be unread. It is committed, so the database has it.
      const pessoas = motor.pessoasAJulgar(agora);
      if (pessoas.length) motor.reforcarEstado(await historicoDoBanco(db, pessoas));
      const julgados = motor.colher(agora);
      const detectadoEm = new Date(agora).toISOString();
      const alertas: Alerta[] = [];
      for (const j of julgados) {
        prog.pedidosJulgados++;
        if (j.porTempo) prog.julgadosPorTempo++;
        prog.primeiroPedido = prog.primeiroPedido === null ? j.id_pedido : Math.min(prog.primeiroPedido, j.id_pedido);
        prog.ultimoPedido = prog.ultimoPedido === null ? j.id_pedido : Math.max(prog.ultimoPedido, j.id_pedido);
        if (j.regras.length === 0) continue;
        alertas.push({
          id_pedido: j.id_pedido, id_pessoa: j.id_pessoa, regras: j.regras, dispositivo: j.dispositivo, geohash: j.geohash,
          uf: j.uf, dt_venda: j.dt_venda_iso, commit_ts_ms: j.commit_ts_ms, detectado_em: detectadoEm,
        });
      }
      if (alertas.length) {
        // Both must succeed before the offsets are committed; neither depends on the other.
        await Promise.all([
          prod.send({
            topic: TOPICO_ALERTAS,
            acks: -1,
            messages: alertas.map((a) => ({ key: String(a.id_pedido), value: JSON.stringify(a) })),
          }),
          gravarTabela ? gravarAlertas(db, alertas) : undefined,
        ]);
        for (const a of alertas) {
          prog.alertas++;
          for (const r of a.regras) prog.porRegra[r]++;
          prog.ultimoAtrasoMs = agora - a.commit_ts_ms;
          opts.aoAlertar?.(a);
        }
      }
      if (alertas.length && opts.atrasoCommitMs) {
        opts.aoAtrasarCommit?.(alertas.length);
        await pausa(opts.atrasoCommitMs);
      }
      // Only now: everything before these offsets has its alert acknowledged.
      const offsets = motor.offsetsParaConfirmar();
      if (offsets.length) await cons.commitOffsets(offsets);
      prog.eventos = motor.contadores.eventos;
      prog.pendentes = motor.pendentesNoBuffer;
      prog.menorPendente = motor.menorPendente();
      prog.completadosDoBanco = motor.contadores.doBanco;
      prog.descartados = motor.contadores.descartados;
      prog.segundos = (Date.now() - inicio.getTime()) / 1000;
      if (julgados.length || offsets.length || buscar.length) opts.aoProgredir?.({ ...prog, porRegra: { ...prog.porRegra } });
    };

    await consumer.subscribe({ topics: topicos, fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        if (fatal) return;
        try {
          await exclusivo(async () => {
            const tabela = tabelaDe(batch.topic);
            const agora = Date.now();
            for (const m of batch.messages) {
              motor.receberBruto(tabela, m.value, { topico: batch.topic, particao: batch.partition, offset: Number(m.offset) }, agora);
              resolveOffset(m.offset);
            }
            await processar();
          });
          await heartbeat();
        } catch (err) {
          // Nothing of this batch was committed: stop and let a restart replay it.
          fatal ??= err as Error;
        }
      },
    });
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) fatal ??= e.payload.error;
    });
    opts.aoIniciar?.({ grupo, topicos, grupoNovo, pessoas: inicial.estado.tamanho, pedidos: inicial.pedidos });

    const limite = opts.duracaoMs === undefined ? Infinity : inicio.getTime() + opts.duracaoMs;
    let ultimoTique = Date.now();
    while (!fatal && Date.now() < limite && !(opts.ate?.() ?? false)) {
      await pausa(100);
      // The safety net also needs a turn when no message arrives.
      if (Date.now() - ultimoTique >= 500 && motor.pendentesNoBuffer > 0) {
        ultimoTique = Date.now();
        await exclusivo(processar).catch((err: Error) => void (fatal ??= err));
      }
    }
    if (!fatal) await exclusivo(processar).catch((err: Error) => void (fatal ??= err));
    await consumer.disconnect();
    consumer = undefined;
    if (fatal) throw new Error(`O detector parou por um erro (nada depois do último commit se perde: ele recomeça dali): ${fatal.message}`, { cause: fatal });

    const fim = new Date();
    prog.segundos = (fim.getTime() - inicio.getTime()) / 1000;
    const faixa = prog.primeiroPedido === null || prog.ultimoPedido === null ? null : { de: prog.primeiroPedido, ate: prog.ultimoPedido };
    if (gravarTabela) {
      await db.query(
        `INSERT INTO deteccao.execucoes (grupo, inicio, fim, primeiro_pedido, ultimo_pedido, pedidos_julgados, alertas)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [grupo, inicio, fim, faixa?.de ?? null, faixa?.ate ?? null, prog.pedidosJulgados, prog.alertas],
      );
    }
    return { ...prog, grupo, inicio, fim, faixa };
  } finally {
    await consumer?.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await client?.end().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// Measuring against the answer key

export interface MedidaDeRegra {
  regra: Regra | "qualquer";
  /** Orders the detector flagged with this rule (any rule for "qualquer"). */
  alertados: number;
  /** Orders labelled with this fraud type (any type for "qualquer"). */
  rotulados: number;
  vp: number;
  fp: number;
  fn: number;
  precisao: number | null;
  recall: number | null;
  /** Wilson 95% interval of the recall (how sure we are with this many frauds). */
  icRecall: Intervalo | null;
}

export interface MedidaDeteccao {
  faixa: FaixaDePedidos;
  /** Orders in the window (id between faixa.de and faixa.ate). */
  pedidos: number;
  regras: MedidaDeRegra[];
}

/** The id range judged by the last recorded run of the detector (deteccao.execucoes). */
export async function ultimaFaixa(): Promise<FaixaDePedidos | null> {
  const rows = await query<{ de: number; ate: number }>(
    "oltp",
    `SELECT primeiro_pedido AS de, ultimo_pedido AS ate FROM deteccao.execucoes
      WHERE primeiro_pedido IS NOT NULL ORDER BY id DESC LIMIT 1`,
  ).catch(() => []);
  return rows[0] ?? null;
}

/**
 * Precision and recall of the alerts (deteccao.alertas) against the answer key
 * (gabarito.rotulos_fraude), per rule and overall, over the orders whose id lies in `faixa`
 * — by default the range the last detector run judged. Honest window: every order in the range
 * counts, so an order the detector never judged shows up as a miss, not as absent.
 */
export async function medirDeteccao(faixa?: FaixaDePedidos): Promise<MedidaDeteccao> {
  const janela = faixa ?? (await ultimaFaixa());
  if (!janela) throw new ErroDeUso("Nenhuma execução do detector registrada: rode executarDetector() (ou `npm run detector`) antes de medir.");
  return withClient("oltp", async (client) => {
    const existe = await client.query<{ a: string | null; g: string | null }>(
      "SELECT to_regclass('deteccao.alertas')::text AS a, to_regclass('gabarito.rotulos_fraude')::text AS g",
    );
    if (!existe.rows[0].a) throw new ErroDeUso("A tabela deteccao.alertas não existe: rode o detector antes de medir.");
    if (!existe.rows[0].g) throw new ErroDeUso("O gabarito (gabarito.rotulos_fraude) não existe: gere pedidos com os geradores antes de medir.");
    const total = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM public.pedidos WHERE id BETWEEN $1 AND $2", [janela.de, janela.ate]);
    const { rows } = await client.query<{ id: number; tipo: string | null; regras: string[] | null }>(
      `SELECT p.id, r.tipo, a.regras
         FROM public.pedidos p
         LEFT JOIN gabarito.rotulos_fraude r ON r.id_pedido = p.id
         LEFT JOIN deteccao.alertas a ON a.id_pedido = p.id
        WHERE p.id BETWEEN $1 AND $2 AND (r.tipo IS NOT NULL OR a.regras IS NOT NULL)`,
      [janela.de, janela.ate],
    );
    const medir = (regra: Regra | "qualquer"): MedidaDeRegra => {
      let vp = 0;
      let fp = 0;
      let fn = 0;
      for (const r of rows) {
        const previsto = regra === "qualquer" ? (r.regras?.length ?? 0) > 0 : (r.regras ?? []).includes(regra);
        const real = regra === "qualquer" ? r.tipo !== null : r.tipo === regra;
        if (previsto && real) vp++;
        else if (previsto) fp++;
        else if (real) fn++;
      }
      const rotulados = vp + fn;
      return {
        regra,
        alertados: vp + fp,
        rotulados,
        vp,
        fp,
        fn,
        precisao: vp + fp > 0 ? vp / (vp + fp) : null,
        recall: rotulados > 0 ? vp / rotulados : null,
        icRecall: rotulados > 0 ? intervaloWilson(vp, rotulados) : null,
      };
    };
    return { faixa: janela, pedidos: total.rows[0].n, regras: [medir("dispositivo"), medir("local"), medir("qualquer")] };
  });
}

/** The largest order id in the OLTP (where a run of the generator ended). */
export async function maiorIdDePedido(): Promise<number> {
  const [r] = await query<{ m: number }>("oltp", "SELECT coalesce(max(id), 0)::bigint AS m FROM public.pedidos");
  return Number(r.m);
}

/** The latest alerts written to deteccao.alertas, newest first, for display. */
export async function ultimosAlertas(n = 10): Promise<Record<string, unknown>[]> {
  return query(
    "oltp",
    `SELECT id_pedido, id_pessoa, array_to_string(regras, ' + ') AS regras, dispositivo, uf,
            to_char(dt_venda AT TIME ZONE 'America/Sao_Paulo', 'DD/MM HH24:MI:SS') AS venda,
            round(extract(epoch FROM detectado_em - commit_em) * 1000)::int AS atraso_ms
       FROM deteccao.alertas ORDER BY detectado_em DESC, id_pedido DESC LIMIT $1`,
    [n],
  );
}

/** How the alerts topic is configured and what it holds (the notebook shows it). */
export async function descreverTopicoDeAlertas(): Promise<{ topico: string; politica: string | undefined; particoes: number; mensagens: number }> {
  const admin = clienteKafka("liga-sudoers-detector-admin").admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(TOPICO_ALERTAS);
    return {
      topico: TOPICO_ALERTAS,
      politica: await politicaDoTopico(admin),
      particoes: offsets.length,
      mensagens: offsets.reduce((s, p) => s + Number(p.high) - Number(p.low), 0),
    };
  } finally {
    await admin.disconnect();
  }
}

export interface MensagemDeAlerta {
  particao: number;
  offset: string;
  /** The message key (id_pedido as text). */
  chave: string | null;
  alerta: Alerta;
  /** When Kafka stored it (ms since epoch). */
  timestamp: number;
}

/**
 * Every message of `fraude.alertas` from `desde` (offset per partition; default: the beginning)
 * up to the end offsets seen at the call, bounded by timeoutMs. Replays may have written the
 * same key more than once (until compaction): count distinct keys, not messages.
 */
export async function lerAlertas(desde: Record<number, string> = {}, opts: { timeoutMs?: number } = {}): Promise<MensagemDeAlerta[]> {
  const kafka = clienteKafka("liga-sudoers-leitor-alertas");
  const admin = kafka.admin();
  await admin.connect();
  let fins: Map<number, bigint>;
  try {
    await garantirTopicoDeAlertas(admin);
    fins = new Map((await admin.fetchTopicOffsets(TOPICO_ALERTAS)).map((p) => [p.partition, BigInt(p.high)]));
  } finally {
    await admin.disconnect();
  }
  const inicio = (p: number) => BigInt(desde[p] ?? "0");
  const faltam = new Set([...fins].filter(([p, fim]) => fim > inicio(p)).map(([p]) => p));
  const lidas: MensagemDeAlerta[] = [];
  if (faltam.size === 0) return lidas;
  // A throwaway group that commits nothing: Kafka forgets it once it leaves.
  const consumer = kafka.consumer({ groupId: `liga-sudoers-leitor-alertas-${randomUUID()}`, maxWaitTimeInMs: 250 });
  await consumer.connect();
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, opts.timeoutMs ?? 15_000);
      consumer.on(consumer.events.CRASH, (e) => {
        clearTimeout(timer);
        reject(e.payload.error);
      });
      (async () => {
        await consumer.subscribe({ topic: TOPICO_ALERTAS, fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const fim = fins.get(partition) ?? 0n;
            const offset = BigInt(message.offset);
            if (offset < inicio(partition) || offset >= fim || !message.value) return;
            lidas.push({
              particao: partition,
              offset: message.offset,
              chave: message.key ? message.key.toString("utf8") : null,
              alerta: JSON.parse(message.value.toString("utf8")) as Alerta,
              timestamp: Number(message.timestamp),
            });
            if (offset + 1n >= fim) faltam.delete(partition);
            if (faltam.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
        for (const p of fins.keys()) consumer.seek({ topic: TOPICO_ALERTAS, partition: p, offset: String(inicio(p)) });
      })().catch((e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return lidas;
}

/** The current end offset of each partition of `fraude.alertas`: read from there to see only new alerts. */
export async function fimDosAlertas(): Promise<Record<number, string>> {
  const admin = clienteKafka("liga-sudoers-detector-admin").admin();
  await admin.connect();
  try {
    await garantirTopicoDeAlertas(admin);
    return Object.fromEntries((await admin.fetchTopicOffsets(TOPICO_ALERTAS)).map((p) => [p.partition, p.high]));
  } finally {
    await admin.disconnect();
  }
}
