// The data-quality gate after `dbt build` (lesson 05, the Airflow DAG's last task): the star
// schema reconciles with the OLTP it was built from, and the fraud rates are where a healthy
// generator puts them (≈1% history, ≈5% streaming: "avoid 0% or 30%").
import { intervaloWilson } from "./analises";
import { query } from "./db";

export interface Verificacao {
  nome: string;
  ok: boolean;
  /** What was measured, as text for a table. */
  valor: string;
  esperado: string;
}

/** Fraud rate bounds of the gate: a mix of history (≈1%) and streaming (≈5%) lands inside. */
const FAIXA_TAXA_FRAUDE: readonly [number, number] = [0.005, 0.1];
/** z of the gate's Wilson interval (99.9%): a small sample is judged by what it can show. */
const Z_PORTAO = 3.29;

/**
 * Whether `fraudes` in `pedidos` is compatible with FAIXA_TAXA_FRAUDE: 0 frauds in 30 orders is
 * no evidence against 5%, in a million it is. Fails only when the whole 99.9% Wilson interval
 * lies outside the bounds.
 */
export function taxaCompativel(fraudes: number, pedidos: number): boolean {
  if (pedidos === 0) return false;
  const ic = intervaloWilson(fraudes, pedidos, Z_PORTAO);
  return ic.max >= FAIXA_TAXA_FRAUDE[0] && ic.min <= FAIXA_TAXA_FRAUDE[1];
}

interface Medidas {
  ate: string | null;
  pedidos_dw: number;
  pedidos_oltp: number;
  itens_dw: number;
  itens_oltp: number;
  receita_dw: string;
  receita_oltp: string;
  rotulados: number;
  detectados: number;
}

const pct = (x: number) => `${(x * 100).toLocaleString("pt-BR", { maximumFractionDigits: 2 })}%`;
const num = (x: number | string) => Number(x).toLocaleString("pt-BR", { maximumFractionDigits: 2 });

/**
 * Runs every check on the DW (the OLTP read live through the foreign schema oltp). Both sides are
 * cut at the fact's watermark (the latest updated_at it loaded): a row written after the build is
 * not a gap. Ids are no cut: the historical generator reserves them before it commits.
 */
export async function verificarQualidade(): Promise<Verificacao[]> {
  const [m] = await query<Medidas>(
    "dw",
    `WITH corte AS (SELECT max(pedido_atualizado_em) AS ate FROM marts.fato_pedidos)
     SELECT corte.ate::text AS ate,
            (SELECT count(*) FROM marts.fato_pedidos WHERE pedido_atualizado_em <= corte.ate)::int AS pedidos_dw,
            (SELECT count(*) FROM oltp.pedidos WHERE updated_at <= corte.ate)::int                  AS pedidos_oltp,
            (SELECT count(*) FROM marts.fato_itens_pedido WHERE item_atualizado_em <= corte.ate)::int AS itens_dw,
            (SELECT count(*) FROM oltp.itens_pedidos WHERE updated_at <= corte.ate)::int            AS itens_oltp,
            (SELECT coalesce(sum(valor_total), 0) FROM marts.fato_itens_pedido WHERE item_atualizado_em <= corte.ate)::text AS receita_dw,
            (SELECT coalesce(sum(valor_total), 0) FROM oltp.itens_pedidos WHERE updated_at <= corte.ate)::text AS receita_oltp,
            (SELECT count(*) FROM marts.fato_pedidos WHERE fraude_rotulada IS NOT NULL)::int         AS rotulados,
            (SELECT count(*) FROM marts.fato_pedidos p LEFT JOIN marts.dim_local l ON l.sk_local = p.sk_local
              WHERE p.dispositivo_novo OR coalesce(l.fora_sp_mg_rj, false))::int                    AS detectados
       FROM corte`,
  );
  const [min, max] = FAIXA_TAXA_FRAUDE;
  const faixa = `entre ${pct(min)} e ${pct(max)} (IC 99,9% encostando na faixa)`;
  const naFaixa = (n: number) => taxaCompativel(n, m.pedidos_dw);
  const taxa = (n: number) => {
    const ic = intervaloWilson(n, m.pedidos_dw, Z_PORTAO);
    return `${pct(m.pedidos_dw === 0 ? 0 : n / m.pedidos_dw)} (IC ${pct(ic.min)} – ${pct(ic.max)})`;
  };
  return [
    { nome: "o fato tem pedidos", ok: m.pedidos_dw > 0, valor: num(m.pedidos_dw), esperado: "mais que zero (rode o dbt build)" },
    {
      nome: "pedidos: DW = OLTP",
      ok: m.pedidos_dw === m.pedidos_oltp,
      valor: `${num(m.pedidos_dw)} × ${num(m.pedidos_oltp)}`,
      esperado: `iguais (alterados até ${m.ate ?? "—"})`,
    },
    { nome: "itens: DW = OLTP", ok: m.itens_dw === m.itens_oltp, valor: `${num(m.itens_dw)} × ${num(m.itens_oltp)}`, esperado: "iguais" },
    // numeric sums compared as exact decimal text, never through floating point.
    {
      nome: "receita: DW = OLTP",
      ok: m.receita_dw === m.receita_oltp,
      valor: `R$ ${num(m.receita_dw)} × R$ ${num(m.receita_oltp)}`,
      esperado: "iguais, ao centavo",
    },
    { nome: "taxa de fraude rotulada (gabarito)", ok: naFaixa(m.rotulados), valor: taxa(m.rotulados), esperado: faixa },
    { nome: "taxa de fraude pelas regras", ok: naFaixa(m.detectados), valor: taxa(m.detectados), esperado: faixa },
  ];
}
