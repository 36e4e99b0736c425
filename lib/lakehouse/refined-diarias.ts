// refined/vendas_diarias: per day and UF, orders, items, revenue and fraud by rule, recomputed
// from itens_por_pessoa for the days a build touched; only the rows that differ are written.
import type * as arrow from "apache-arrow";
import type { Linha, TabelaDelta } from "../lake/index";
import { centavosArrow, diaDe, reais } from "./refined-fontes";
import { assinatura, CAMPOS_DIARIA, gravar, resultadoVazio, type ResultadoRefinedTabela } from "./refined-tabelas";

const COLUNAS = ["id_pedido", "dt_venda", "uf", "valor_total", "regra_local", "regra_dispositivo", "fraude_rotulada"];

interface Grupo {
  pedidos: Set<bigint>;
  itens: number;
  centavos: number;
  local: number;
  dispositivo: number;
  alguma: number;
  rotulada: number;
}

const chaveDiaUf = (dia: string, uf: string) => `${dia}\u0001${uf}`;

/** Items grouped by day and UF; the rules and the label count once per order. */
function agrupar(t: arrow.Table): Map<string, Grupo> {
  const [ids, dts, ufs, valores, local, disp, rot] = COLUNAS.map((c) => t.getChild(c)!);
  const valoresArr = valores!.toArray() as ArrayLike<number>;
  const idsArr = ids!.toArray() as ArrayLike<bigint>;
  const dtsArr = dts!.toArray() as ArrayLike<number>;
  const grupos = new Map<string, Grupo>();
  for (let i = 0; i < t.numRows; i++) {
    const k = chaveDiaUf(diaDe(dtsArr[i]!), (ufs!.get(i) as string | null) ?? "?");
    let g = grupos.get(k);
    if (!g) {
      g = { pedidos: new Set(), itens: 0, centavos: 0, local: 0, dispositivo: 0, alguma: 0, rotulada: 0 };
      grupos.set(k, g);
    }
    g.itens++;
    g.centavos += centavosArrow(valoresArr, i);
    if (g.pedidos.has(idsArr[i]!)) continue;
    g.pedidos.add(idsArr[i]!);
    const l = local!.get(i) === true;
    const d = disp!.get(i) === true;
    if (l) g.local++;
    if (d) g.dispositivo++;
    if (l || d) g.alguma++;
    if (rot!.get(i) === true) g.rotulada++;
  }
  return grupos;
}

function linhaDiaria(k: string, g: Grupo, refinadoEm: Date): Linha {
  const [dia, uf] = k.split("\u0001") as [string, string];
  return {
    dt_venda: dia,
    uf,
    pedidos: BigInt(g.pedidos.size),
    itens: BigInt(g.itens),
    receita: reais(g.centavos),
    pedidos_regra_local: BigInt(g.local),
    pedidos_regra_dispositivo: BigInt(g.dispositivo),
    pedidos_alguma_regra: BigInt(g.alguma),
    pedidos_fraude_rotulada: BigInt(g.rotulada),
    _refinado_em: refinadoEm,
  };
}

/** Recomputes vendas_diarias for the days touched, from itens_por_pessoa; writes only what differs. */
export async function atualizarDiarias(
  tItens: TabelaDelta,
  tDiarias: TabelaDelta,
  dias: Set<string>,
  refinadoEm: Date,
  criada: boolean,
): Promise<ResultadoRefinedTabela> {
  const res = resultadoVazio(tDiarias, "vendas_diarias", (await tDiarias.instantaneo()).versao, criada);
  if (dias.size === 0) return res;
  const lista = [...dias].sort();
  const { tabela: t } = await tItens.ler({ colunas: COLUNAS, onde: [["dt_venda", "in", lista]] });
  const novas = new Map<string, Linha>();
  for (const [k, g] of agrupar(t)) novas.set(k, linhaDiaria(k, g, refinadoEm));
  const atuais = (await tDiarias.instantaneo()).arquivos.size ? await tDiarias.linhas({ onde: [["dt_venda", "in", lista]] }) : [];
  const chaveDe = (l: Linha) =>
    chaveDiaUf(typeof l.dt_venda === "string" ? l.dt_venda : (l.dt_venda as Date).toISOString().slice(0, 10), l.uf as string);
  const porChave = new Map(atuais.map((l) => [chaveDe(l), l]));
  const upserts = [...novas]
    .filter(([k, l]) => !porChave.has(k) || assinatura(l, CAMPOS_DIARIA) !== assinatura(porChave.get(k)!, CAMPOS_DIARIA))
    .map(([, l]) => l);
  const exclusoes = atuais.filter((l) => !novas.has(chaveDe(l))).map((l) => ({ dt_venda: l.dt_venda, uf: l.uf }));
  await gravar(tDiarias, res, ["dt_venda", "uf"], upserts.length ? upserts : undefined, exclusoes);
  return res;
}
