// The course's two fraud rules on one order's facts and the person's history (pure).
import { localPermitido } from "../geo";

export type Regra = "dispositivo" | "local";
export const REGRAS: readonly Regra[] = ["dispositivo", "local"];


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

