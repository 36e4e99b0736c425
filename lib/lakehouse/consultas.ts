// The course's analytical queries over the lakehouse, answered by the kit's own Delta reader
// (lib/lake): the same questions, and the same JSON, as the Spark job delta_lake/consultas_lakehouse.py
// — raw and trusted counted per table; from refined, orders/items/revenue per UF, the total,
// fraud per rule and UF (distinct orders), revenue per category, and vendas_diarias re-added.
// A test runs both and requires equal answers. Columns are read straight from Arrow (no row
// objects) and decimals summed exactly as bigint cents.
import { TABELAS_CAPTURADAS } from "../cdc/index";
import type { TabelaDelta } from "../lake/index";
import { leitor } from "../lake/colunas";
import type { OpcoesLakehouse } from "./comum";
import { tabelaRawCdc } from "./raw";
import { tabelaRefined } from "./refined-tabelas";
import { tabelaQuarentena, tabelaTrusted } from "./trusted";

export interface TotaisItens {
  pedidos: number;
  itens: number;
  unidades: number;
  /** Sum of the items' valor_total, text with two places ("1234.50"). */
  receita: string;
}

export interface LinhaPorUf extends TotaisItens {
  /** Two-letter UF, "fora do Brasil", or null when unknown. */
  uf: string | null;
}

/** Distinct orders per UF caught by each rule, labelled as fraud, and both. */
export interface LinhaFraudePorUf {
  uf: string | null;
  pedidos: number;
  regra_local: number;
  regra_dispositivo: number;
  alguma_regra: number;
  fraude_rotulada: number;
  /** Orders a rule flagged that the generator labelled as fraud (the rules' hits). */
  regra_e_rotulo: number;
  /** Orders whose label is not known yet. */
  sem_rotulo: number;
}

export interface LinhaPorCategoria extends TotaisItens {
  categoria: string | null;
}

export interface TotaisVendasDiarias {
  dias: number;
  pedidos: number;
  itens: number;
  receita: string;
  pedidos_regra_local: number;
  pedidos_regra_dispositivo: number;
  pedidos_alguma_regra: number;
  pedidos_fraude_rotulada: number;
}

export interface VendaPorDia {
  /** "YYYY-MM-DD". */
  dt_venda: string;
  pedidos: number;
  itens: number;
  receita: string;
  pedidos_alguma_regra: number;
}

/** Keys in the order the Spark job prints them; null = no table there. */
export interface ResultadoConsultas {
  raw: { eventos_cdc: Record<string, number | null> };
  trusted: { linhas: Record<string, number | null> };
  refined: { linhas: Record<string, number> };
  totais: TotaisItens;
  por_uf: LinhaPorUf[];
  fraude_por_uf: LinhaFraudePorUf[];
  receita_por_categoria: LinhaPorCategoria[];
  vendas_diarias: TotaisVendasDiarias;
  vendas_por_dia: VendaPorDia[];
}

// ---------------------------------------------------------------------------------------------
// Exact money: sums stay unscaled bigints at the column's scale; shown with two places,
// rounding half away from zero (Python's ROUND_HALF_UP, what the Spark job uses).

export function dinheiro(naoEscalado: bigint, escala: number): string {
  const neg = naoEscalado < 0n;
  const a = neg ? -naoEscalado : naoEscalado;
  let c: bigint;
  if (escala <= 2) c = a * 10n ** BigInt(2 - escala);
  else {
    const d = 10n ** BigInt(escala - 2);
    c = a / d + ((a % d) * 2n >= d ? 1n : 0n);
  }
  const texto = `${c / 100n}.${(c % 100n).toString().padStart(2, "0")}`;
  return neg && c !== 0n ? `-${texto}` : texto;
}

// ---------------------------------------------------------------------------------------------
// Reading

async function contarSeExistir(t: TabelaDelta): Promise<number | null> {
  return (await t.existe()) ? t.contar() : null;
}

type Leitor = (i: number) => unknown;

/** The columns of a table as key readers (decimal → unscaled bigint, date → days, long → bigint). */
async function colunas(
  t: TabelaDelta,
  nomes: string[],
): Promise<{ n: number; ler: Record<string, Leitor>; escala: Record<string, number> }> {
  const { tabela: arrowTabela } = await t.ler({ colunas: nomes });
  const ler: Record<string, Leitor> = {};
  const escala: Record<string, number> = {};
  for (const nome of nomes) {
    const vec = arrowTabela.getChild(nome)!;
    ler[nome] = leitor(vec);
    const tipo = vec.type as { scale?: number };
    if (typeof tipo.scale === "number") escala[nome] = tipo.scale;
  }
  return { n: arrowTabela.numRows, ler, escala };
}

/** Null last, then by UTF-16 code unit (Spark orders strings by UTF-8 bytes: equal outside surrogates). */
function compararChave(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

class Grupo {
  readonly pedidos = new Set<bigint>();
  itens = 0;
  unidades = 0;
  receita = 0n;
  add(pedido: bigint, qtde: unknown, valor: unknown): void {
    this.pedidos.add(pedido);
    this.itens++;
    if (typeof qtde === "number") this.unidades += qtde;
    if (typeof valor === "bigint") this.receita += valor;
  }
  totais(escala: number): TotaisItens {
    return { pedidos: this.pedidos.size, itens: this.itens, unidades: this.unidades, receita: dinheiro(this.receita, escala) };
  }
}

class Fraude {
  readonly pedidos = new Set<bigint>();
  readonly local = new Set<bigint>();
  readonly dispositivo = new Set<bigint>();
  readonly alguma = new Set<bigint>();
  readonly rotulada = new Set<bigint>();
  readonly acerto = new Set<bigint>();
  readonly semRotulo = new Set<bigint>();
}

function grupo<T>(mapa: Map<string | null, T>, chave: string | null, novo: () => T): T {
  let g = mapa.get(chave);
  if (!g) {
    g = novo();
    mapa.set(chave, g);
  }
  return g;
}

function ordenadas<T>(mapa: Map<string | null, T>): [string | null, T][] {
  return [...mapa.entries()].sort((a, b) => compararChave(a[0], b[0]));
}

const diaIso = (dias: number) => new Date(dias * 86_400_000).toISOString().slice(0, 10);

type Soma =
  | "pedidos"
  | "itens"
  | "receita"
  | "pedidos_regra_local"
  | "pedidos_regra_dispositivo"
  | "pedidos_alguma_regra"
  | "pedidos_fraude_rotulada";
const SOMAS: readonly Soma[] = [
  "pedidos",
  "itens",
  "receita",
  "pedidos_regra_local",
  "pedidos_regra_dispositivo",
  "pedidos_alguma_regra",
  "pedidos_fraude_rotulada",
];
type Somas = Record<Soma, bigint>;
const somasZeradas = (): Somas => Object.fromEntries(SOMAS.map((s) => [s, 0n])) as Somas;

/** Row counts of the raw and trusted tables (null for a table that does not exist yet). */
async function contagensDasCamadas(raiz: string | undefined) {
  const eventos: Record<string, number | null> = {};
  for (const nome of TABELAS_CAPTURADAS) eventos[nome] = await contarSeExistir(tabelaRawCdc(nome, raiz));
  const linhasTrusted: Record<string, number | null> = {};
  for (const nome of TABELAS_CAPTURADAS) linhasTrusted[nome] = await contarSeExistir(tabelaTrusted(nome, raiz));
  linhasTrusted.quarentena = await contarSeExistir(tabelaQuarentena(raiz));
  return { eventos, linhasTrusted };
}

/** itens_por_pessoa in one pass that feeds every grouping: totals, per UF, per category, fraud per UF. */
async function agruparItens(itensT: TabelaDelta) {
  const it = await colunas(itensT, [
    "id_pedido",
    "uf",
    "categoria",
    "qtde",
    "valor_total",
    "regra_local",
    "regra_dispositivo",
    "fraude_rotulada",
  ]);
  const total = new Grupo();
  const porUf = new Map<string | null, Grupo>();
  const porCategoria = new Map<string | null, Grupo>();
  const fraude = new Map<string | null, Fraude>();
  const l = it.ler;
  for (let i = 0; i < it.n; i++) {
    const pedido = l.id_pedido!(i) as bigint;
    const uf = l.uf!(i) as string | null;
    const qtde = l.qtde!(i);
    const valor = l.valor_total!(i);
    total.add(pedido, qtde, valor);
    grupo(porUf, uf, () => new Grupo()).add(pedido, qtde, valor);
    grupo(porCategoria, l.categoria!(i) as string | null, () => new Grupo()).add(pedido, qtde, valor);
    const f = grupo(fraude, uf, () => new Fraude());
    const local = l.regra_local!(i) === true;
    const disp = l.regra_dispositivo!(i) === true;
    const rotulo = l.fraude_rotulada!(i) as boolean | null;
    f.pedidos.add(pedido);
    if (local) f.local.add(pedido);
    if (disp) f.dispositivo.add(pedido);
    if (local || disp) f.alguma.add(pedido);
    if (rotulo === true) f.rotulada.add(pedido);
    if ((local || disp) && rotulo === true) f.acerto.add(pedido);
    if (rotulo === null) f.semRotulo.add(pedido);
  }
  return { n: it.n, escala: it.escala.valor_total ?? 2, total, porUf, porCategoria, fraude };
}

/** vendas_diarias re-added per day and in total (bigint sums: exact cents). */
async function somarVendasDiarias(vendasT: TabelaDelta) {
  const vd = await colunas(vendasT, ["dt_venda", ...SOMAS]);
  const soma = somasZeradas();
  const porDia = new Map<number, Somas>();
  for (let i = 0; i < vd.n; i++) {
    const dia = vd.ler.dt_venda!(i) as number;
    let d = porDia.get(dia);
    if (!d) {
      d = somasZeradas();
      porDia.set(dia, d);
    }
    for (const s of SOMAS) {
      const v = vd.ler[s]!(i);
      const x = typeof v === "bigint" ? v : typeof v === "number" ? BigInt(v) : 0n;
      soma[s] += x;
      d[s] += x;
    }
  }
  return { n: vd.n, escala: vd.escala.receita ?? 2, soma, porDia };
}

/**
 * Runs the course's queries over the lakehouse under `raiz` with lib/lake. Throws (pt-BR) when
 * a refined table is missing; raw/trusted tables that do not exist count as null.
 */
export async function consultasDoLakehouse(opcoes: Pick<OpcoesLakehouse, "raiz"> = {}): Promise<ResultadoConsultas> {
  const { raiz } = opcoes;
  const { eventos, linhasTrusted } = await contagensDasCamadas(raiz);
  const itensT = tabelaRefined("itens_por_pessoa", raiz);
  const vendasT = tabelaRefined("vendas_diarias", raiz);
  for (const t of [itensT, vendasT]) {
    if (!(await t.existe()))
      throw new Error(`A tabela refined não existe em ${t.url}: construa o lakehouse antes (npm run lake -- build).`);
  }
  const it = await agruparItens(itensT);
  const vd = await somarVendasDiarias(vendasT);
  const { soma, porDia } = vd;
  return {
    raw: { eventos_cdc: eventos },
    trusted: { linhas: linhasTrusted },
    refined: { linhas: { itens_por_pessoa: it.n, vendas_diarias: vd.n } },
    totais: it.total.totais(it.escala),
    por_uf: ordenadas(it.porUf).map(([uf, g]) => ({ uf, ...g.totais(it.escala) })),
    fraude_por_uf: ordenadas(it.fraude).map(([uf, f]) => ({
      uf,
      pedidos: f.pedidos.size,
      regra_local: f.local.size,
      regra_dispositivo: f.dispositivo.size,
      alguma_regra: f.alguma.size,
      fraude_rotulada: f.rotulada.size,
      regra_e_rotulo: f.acerto.size,
      sem_rotulo: f.semRotulo.size,
    })),
    receita_por_categoria: ordenadas(it.porCategoria).map(([categoria, g]) => ({ categoria, ...g.totais(it.escala) })),
    vendas_diarias: {
      dias: porDia.size,
      pedidos: Number(soma.pedidos),
      itens: Number(soma.itens),
      receita: dinheiro(soma.receita, vd.escala),
      pedidos_regra_local: Number(soma.pedidos_regra_local),
      pedidos_regra_dispositivo: Number(soma.pedidos_regra_dispositivo),
      pedidos_alguma_regra: Number(soma.pedidos_alguma_regra),
      pedidos_fraude_rotulada: Number(soma.pedidos_fraude_rotulada),
    },
    vendas_por_dia: [...porDia.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([dia, d]) => ({
        dt_venda: diaIso(dia),
        pedidos: Number(d.pedidos),
        itens: Number(d.itens),
        receita: dinheiro(d.receita, vd.escala),
        pedidos_alguma_regra: Number(d.pedidos_alguma_regra),
      })),
  };
}
