// The questions notebooks 02 and 03 ask of the generated data, one query each.
// Historical orders are told from streaming ones by their sale date: a historical order was
// sold well before it was recorded (created_at), a streaming one at the moment it was.
import { query } from "./db";
import { centroDoGeohash, ufDoGeohash, type Localizacao } from "./geo";

export type Modo = "historico" | "streaming";

const FILTRO: Record<Modo, string> = {
  historico: "p.dt_venda < p.created_at - interval '1 minute'",
  streaming: "p.dt_venda >= p.created_at - interval '1 minute'",
};

export interface Intervalo {
  taxa: number;
  min: number;
  max: number;
}

/** Wilson score interval for a proportion (95% by default): honest even for rare events. */
export function intervaloWilson(sucessos: number, n: number, z = 1.96): Intervalo {
  if (n === 0) return { taxa: 0, min: 0, max: 1 };
  const p = sucessos / n;
  const z2 = z * z;
  const centro = (p + z2 / (2 * n)) / (1 + z2 / n);
  const margem = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { taxa: p, min: Math.max(0, centro - margem), max: Math.min(1, centro + margem) };
}

export interface TaxaDeFraude extends Intervalo {
  modo: Modo;
  pedidos: number;
  fraudes: number;
  dispositivo: number;
  local: number;
}

export async function taxaDeFraude(modo: Modo): Promise<TaxaDeFraude> {
  const [r] = await query<{ pedidos: number; dispositivo: number; local: number }>(
    "oltp",
    `SELECT count(*)::int AS pedidos,
            count(*) FILTER (WHERE r.tipo = 'dispositivo')::int AS dispositivo,
            count(*) FILTER (WHERE r.tipo = 'local')::int AS local
       FROM pedidos p LEFT JOIN gabarito.rotulos_fraude r ON r.id_pedido = p.id
      WHERE ${FILTRO[modo]}`,
  );
  const fraudes = r.dispositivo + r.local;
  return { modo, pedidos: r.pedidos, fraudes, dispositivo: r.dispositivo, local: r.local, ...intervaloWilson(fraudes, r.pedidos) };
}

export async function pedidosPorDia(modo: Modo = "historico"): Promise<{ dia: string; pedidos: number; receita: number }[]> {
  return query(
    "oltp",
    `
    SELECT (p.dt_venda AT TIME ZONE 'America/Sao_Paulo')::date::text AS dia, count(*)::int AS pedidos, sum(p.valor_total)::float8 AS receita
      FROM pedidos p WHERE ${FILTRO[modo]} GROUP BY 1 ORDER BY 1`,
  );
}

export async function receitaPorCategoria(): Promise<{ categoria: string; receita: number; itens: number }[]> {
  return query(
    "oltp",
    `
    SELECT c.descricao AS categoria, sum(i.valor_total)::float8 AS receita, sum(i.qtde)::int AS itens
      FROM itens_pedidos i JOIN produtos p ON p.id = i.id_produto JOIN categorias c ON c.id = p.id_categoria
     GROUP BY c.descricao ORDER BY receita DESC`,
  );
}

export interface PontoDePedido {
  lat: number;
  lon: number;
  uf: Localizacao;
  grupo: "normal" | "fraude de local" | "fraude de dispositivo";
}

/** Where orders were placed: a random sample of normal orders plus every fraud (up to a limit). */
export async function pontosDePedidos(amostra = 3000, maxFraudes = 3000): Promise<PontoDePedido[]> {
  const rows = await query<{ geohash: string; tipo: string | null }>(
    "oltp",
    `
    (SELECT a.geohash, NULL::text AS tipo FROM auditoria_pedidos a
      WHERE NOT EXISTS (SELECT 1 FROM gabarito.rotulos_fraude r WHERE r.id_pedido = a.id_pedido)
      ORDER BY md5(a.id_pedido::text) LIMIT $1)
    UNION ALL
    (SELECT a.geohash, r.tipo FROM gabarito.rotulos_fraude r JOIN auditoria_pedidos a ON a.id_pedido = r.id_pedido
      ORDER BY r.id_pedido DESC LIMIT $2)`,
    [amostra, maxFraudes],
  );
  return rows.map((r) => ({
    ...centroDoGeohash(r.geohash),
    uf: ufDoGeohash(r.geohash),
    grupo: r.tipo === "local" ? "fraude de local" : r.tipo === "dispositivo" ? "fraude de dispositivo" : "normal",
  }));
}

export interface PedidoRecente {
  pedido: number;
  quando: string;
  pessoa: string;
  itens: number;
  valor_total: string;
  dispositivo: string;
  geohash: string;
  uf: Localizacao;
  fraude: string;
}

export async function ultimosPedidos(n = 10): Promise<PedidoRecente[]> {
  const rows = await query<Omit<PedidoRecente, "uf">>(
    "oltp",
    `
    SELECT p.id AS pedido, to_char(p.dt_venda AT TIME ZONE 'America/Sao_Paulo', 'DD/MM HH24:MI:SS') AS quando, pe.nome AS pessoa,
           (SELECT count(*)::int FROM itens_pedidos i WHERE i.id_pedido = p.id) AS itens, p.valor_total::text AS valor_total,
           a.dispositivo, a.geohash, coalesce(r.tipo, '') AS fraude
      FROM pedidos p JOIN pessoas pe ON pe.id = p.id_pessoa JOIN auditoria_pedidos a ON a.id_pedido = p.id
      LEFT JOIN gabarito.rotulos_fraude r ON r.id_pedido = p.id
     ORDER BY p.id DESC LIMIT $1`,
    [n],
  );
  return rows.map((r) => ({ ...r, uf: ufDoGeohash(r.geohash) }));
}
