// Cases of the device rule ("a device the person never used before, on an order after the
// person's first order"), with the verdict the course defines. The unit lane holds the
// TypeScript rule (lib/detector/regras.ts) to them; the integration lane runs dbt's SQL
// (fato_pedidos) over the same rows, so the two definitions cannot drift apart.
//
// Every order has a device. An order without an audit row is where the definitions differ on
// purpose: dbt leaves it out of the person's first sale, the TypeScript rule counts it (the
// generators always write the audit row in the order's transaction).
import { instanteUs } from "../../lib/detector/regras";

export interface CasoDispositivo {
  id_pedido: number;
  id_pessoa: number;
  /** ISO 8601 with microseconds, as PostgreSQL and Debezium write it. */
  dt_venda: string;
  dispositivo: string;
  /** Breaks the device rule. */
  esperado: boolean;
  porque: string;
}

const P = 10_000_000_000; // CPF-like person ids, as in the OLTP

export const CASOS_DISPOSITIVO: readonly CasoDispositivo[] = [
  {
    id_pedido: 1,
    id_pessoa: P + 1,
    dt_venda: "2026-01-01T10:00:00.000000Z",
    dispositivo: "Iphone",
    esperado: false,
    porque: "first order",
  },
  {
    id_pedido: 2,
    id_pessoa: P + 1,
    dt_venda: "2026-01-02T10:00:00.000000Z",
    dispositivo: "Samsung",
    esperado: true,
    porque: "new device after an earlier order",
  },
  {
    id_pedido: 3,
    id_pessoa: P + 1,
    dt_venda: "2026-01-03T10:00:00.000000Z",
    dispositivo: "Samsung",
    esperado: false,
    porque: "device used before",
  },
  {
    id_pedido: 4,
    id_pessoa: P + 1,
    dt_venda: "2026-01-04T10:00:00.000000Z",
    dispositivo: "Iphone",
    esperado: false,
    porque: "back to the first device",
  },
  {
    id_pedido: 5,
    id_pessoa: P + 2,
    dt_venda: "2026-01-01T10:00:00.000000Z",
    dispositivo: "Iphone",
    esperado: false,
    porque: "first order",
  },
  {
    id_pedido: 6,
    id_pessoa: P + 2,
    dt_venda: "2026-01-01T10:00:00.000000Z",
    dispositivo: "Motorola",
    esperado: false,
    porque: "same instant as the first order: not after it",
  },
  {
    id_pedido: 7,
    id_pessoa: P + 2,
    dt_venda: "2026-01-01T10:00:00.000001Z",
    dispositivo: "Nokia",
    esperado: true,
    porque: "one microsecond after the first order",
  },
  {
    id_pedido: 8,
    id_pessoa: P + 2,
    dt_venda: "2026-01-01T10:00:00.000001Z",
    dispositivo: "Nokia",
    esperado: true,
    porque: "same device at the same instant: neither is earlier",
  },
  {
    id_pedido: 9,
    id_pessoa: P + 3,
    dt_venda: "2026-02-05T08:30:00.000000Z",
    dispositivo: "Samsung",
    esperado: false,
    porque: "device used in an earlier order with a higher id",
  },
  {
    id_pedido: 10,
    id_pessoa: P + 3,
    dt_venda: "2026-02-01T08:30:00.000000Z",
    dispositivo: "Iphone",
    esperado: false,
    porque: "first order, not the lowest id",
  },
  {
    id_pedido: 11,
    id_pessoa: P + 3,
    dt_venda: "2026-02-03T08:30:00.000000Z",
    dispositivo: "Samsung",
    esperado: true,
    porque: "a later use does not make it innocent",
  },
  {
    id_pedido: 12,
    id_pessoa: P + 4,
    dt_venda: "2026-02-03T08:30:00.000000Z",
    dispositivo: "Lg",
    esperado: false,
    porque: "a person's only order",
  },
  {
    id_pedido: 13,
    id_pessoa: P + 5,
    dt_venda: "2026-03-01T00:00:00.000100Z",
    dispositivo: "Xiaomi",
    esperado: false,
    porque: "first order",
  },
  {
    id_pedido: 14,
    id_pessoa: P + 5,
    dt_venda: "2026-03-01T00:00:00.000900Z",
    dispositivo: "Lg",
    esperado: true,
    porque: "later within the same millisecond",
  },
  {
    id_pedido: 15,
    id_pessoa: P + 6,
    dt_venda: "2026-01-01T09:00:00.000000Z",
    dispositivo: "Pixel",
    esperado: false,
    porque: "first order",
  },
  {
    id_pedido: 16,
    id_pessoa: P + 6,
    dt_venda: "2026-01-02T09:00:00.000000Z",
    dispositivo: "Iphone",
    esperado: true,
    porque: "another person's device does not count",
  },
];

/** The cases grouped by person, as pedidosComDispositivoNovo takes them. */
export function pedidosPorPessoa(casos: readonly CasoDispositivo[]): Map<number, { id: number; instante: number; dispositivo: string }[]> {
  const porPessoa = new Map<number, { id: number; instante: number; dispositivo: string }[]>();
  for (const c of casos) {
    const l = porPessoa.get(c.id_pessoa) ?? [];
    l.push({ id: c.id_pedido, instante: instanteUs(c.dt_venda), dispositivo: c.dispositivo });
    porPessoa.set(c.id_pessoa, l);
  }
  return porPessoa;
}
