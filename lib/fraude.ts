// The course's two fraud rules, and audits that hold the generated data to them:
//   1. local: an order whose geohash lies outside SP, MG and RJ;
//   2. dispositivo: an order placed with a device the person never used in an earlier order
//      (a person's first order breaks no device rule).
import type pg from "pg";
import { DESTINO_PADRAO, type Destino } from "./carga";
import { localPermitido } from "./geo";

export interface Consistencia {
  pedidos: number;
  semItens: number;
  semAuditoria: number;
  totalDivergente: number;
  itemDivergente: number;
}

const q = (client: pg.ClientBase, schema: string, tabela: string) =>
  `${client.escapeIdentifier(schema)}.${client.escapeIdentifier(tabela)}`;

/** Orders with no items, no audit row, or totals that do not add up (all must be zero). */
export async function verificarConsistencia(client: pg.ClientBase, destino: Destino = DESTINO_PADRAO): Promise<Consistencia> {
  const t = (nome: string) => q(client, destino.oltp, nome);
  const { rows } = await client.query<Consistencia>(`
    SELECT (SELECT count(*) FROM ${t("pedidos")})::int AS pedidos,
           (SELECT count(*) FROM ${t("pedidos")} p WHERE NOT EXISTS (SELECT 1 FROM ${t("itens_pedidos")} i WHERE i.id_pedido = p.id))::int AS "semItens",
           (SELECT count(*) FROM ${t("pedidos")} p WHERE NOT EXISTS (SELECT 1 FROM ${t("auditoria_pedidos")} a WHERE a.id_pedido = p.id))::int AS "semAuditoria",
           (SELECT count(*) FROM ${t("pedidos")} p
              JOIN (SELECT id_pedido, sum(valor_total) AS soma FROM ${t("itens_pedidos")} GROUP BY id_pedido) i ON i.id_pedido = p.id
             WHERE p.valor_total <> i.soma)::int AS "totalDivergente",
           (SELECT count(*) FROM ${t("itens_pedidos")} i JOIN ${t("produtos")} pr ON pr.id = i.id_produto
             WHERE i.valor_total <> i.qtde * pr.valor_unit)::int AS "itemDivergente"`);
  return rows[0];
}

export interface AuditoriaDeRotulos {
  pedidos: number;
  rotulados: { dispositivo: number; local: number };
  /** Labelled orders that do not break their rule (must be zero). */
  rotuloSemQuebra: number;
  /** Unlabelled orders that break a rule (must be zero). */
  quebraSemRotulo: number;
}

/** Checks every order against both rules and the answer key (gabarito.rotulos_fraude). */
export async function auditarRotulos(client: pg.ClientBase, destino: Destino = DESTINO_PADRAO): Promise<AuditoriaDeRotulos> {
  const t = (nome: string) => q(client, destino.oltp, nome);
  // "No earlier order with this device" ⇔ this is the first instant the person used it;
  // windows instead of correlated subqueries, so a million orders audit in seconds.
  const { rows } = await client.query<{ id: number; geohash: string; dispositivo_novo: boolean; tipo: string | null }>(`
    SELECT o.id, o.geohash, r.tipo,
           o.dt_venda = o.primeira_com_dispositivo AND o.dt_venda > o.primeira_da_pessoa AS dispositivo_novo
      FROM (SELECT p.id, a.geohash, p.dt_venda,
                   min(p.dt_venda) OVER (PARTITION BY p.id_pessoa, a.dispositivo) AS primeira_com_dispositivo,
                   min(p.dt_venda) OVER (PARTITION BY p.id_pessoa) AS primeira_da_pessoa
              FROM ${t("pedidos")} p JOIN ${t("auditoria_pedidos")} a ON a.id_pedido = p.id) o
      LEFT JOIN ${q(client, destino.rotulos, "rotulos_fraude")} r ON r.id_pedido = o.id`);
  const auditoria: AuditoriaDeRotulos = {
    pedidos: rows.length,
    rotulados: { dispositivo: 0, local: 0 },
    rotuloSemQuebra: 0,
    quebraSemRotulo: 0,
  };
  for (const row of rows) {
    const foraDaArea = !localPermitido(row.geohash);
    if (row.tipo === "dispositivo" || row.tipo === "local") {
      auditoria.rotulados[row.tipo]++;
      if (row.tipo === "dispositivo" ? !row.dispositivo_novo : !foraDaArea) auditoria.rotuloSemQuebra++;
    } else if (foraDaArea || row.dispositivo_novo) {
      auditoria.quebraSemRotulo++;
    }
  }
  return auditoria;
}
