// The course's two fraud rules on one order's facts and the person's history (pure). The one
// TypeScript definition of the device rule: the detector judges the stream with it and the
// lakehouse's refined layer (lib/lakehouse/refined-linhas.ts) flags its rows with it. The SQL
// definitions stay on purpose (dbt's fato_pedidos, lib/fraude.ts auditarRotulos); a test runs
// fato_pedidos' own SQL over the cases of tests/apoio/regra-dispositivo.ts and compares it with
// this rule (tests/integracao/detector.test.ts, "the device rule: TypeScript and dbt agree").
import { localPermitido } from "../geo";

export type Regra = "dispositivo" | "local";

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
 * Adds one order of the person to a history: only minimums are kept, so applying an order twice,
 * or orders in any sequence, gives the same history. `dispositivo` null: an order whose device is
 * not known (it still counts as an order of the person).
 */
export function registrarNoHistorico(h: HistoricoDePessoa, instante: number, dispositivo: string | null): void {
  if (instante < h.primeira) h.primeira = instante;
  if (dispositivo === null) return;
  const desde = h.dispositivos.get(dispositivo);
  if (desde === undefined || instante < desde) h.dispositivos.set(dispositivo, instante);
}

/** Whether the person used `dispositivo` in an order strictly earlier than `instante`. */
export function usadoAntes(historico: HistoricoDePessoa | undefined, dispositivo: string, instante: number): boolean {
  const desde = historico?.dispositivos.get(dispositivo);
  return desde !== undefined && desde < instante;
}

/**
 * The device rule: the person has an order strictly earlier than this one, and none strictly
 * earlier with this device. The history may already include this order and later ones: only
 * strictly earlier instants count. No history = first order: no device rule.
 */
export function dispositivoNovo(instante: number, dispositivo: string, historico: HistoricoDePessoa | undefined): boolean {
  return historico !== undefined && historico.primeira < instante && !usadoAntes(historico, dispositivo, instante);
}

/** The rules an order breaks, given the person's history (see dispositivoNovo). */
export function avaliarRegras(f: FatosDoPedido, historico: HistoricoDePessoa | undefined): Regra[] {
  const regras: Regra[] = [];
  if (dispositivoNovo(f.dt_venda, f.dispositivo, historico)) regras.push("dispositivo");
  if (!localPermitido(f.geohash)) regras.push("local");
  return regras;
}

/** One order of a person, as a batch job sees it: `dispositivo` null when its audit row is missing. */
export interface PedidoDaPessoa<Id> {
  id: Id;
  /** Sale instant (µs since the epoch). */
  instante: number;
  dispositivo: string | null;
}

/**
 * The orders of ONE person that break the device rule, judged against all of them (a batch's
 * view: the whole history is at hand). An order without a device breaks no device rule.
 */
export function pedidosComDispositivoNovo<Id>(pedidos: readonly PedidoDaPessoa<Id>[]): Set<Id> {
  const historico: HistoricoDePessoa = { primeira: Infinity, dispositivos: new Map() };
  for (const p of pedidos) registrarNoHistorico(historico, p.instante, p.dispositivo);
  const novos = new Set<Id>();
  for (const p of pedidos) if (p.dispositivo !== null && dispositivoNovo(p.instante, p.dispositivo, historico)) novos.add(p.id);
  return novos;
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
