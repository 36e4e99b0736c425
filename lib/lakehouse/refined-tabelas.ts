// The two tables of the refined layer: their schemas, their creation, the watermark and how a
// build writes them (MERGE by key, only rows that differ from what is stored).
//   - itens_por_pessoa: one row per order item, in the spirit of the original course's
//     itens_by_person — the person's attributes (pseudonymized id, sex, age, segment), product
//     and category, device, geohash, UF, both fraud rules and the generator's label for
//     training; partitioned by dt_venda.
//   - vendas_diarias: per day and UF, orders, items, revenue and fraud by rule.
import { statsDe, type Dados, type Linha, type TabelaDelta } from "../lake/index";
import { tabela } from "./comum";

const ESQUEMA_ITENS_POR_PESSOA = {
  id_pedido: "long not null",
  id_produto: "integer not null",
  /** HMAC pseudonym of the person (as in trusted): joins work, the CPF-like id never appears. */
  id_pessoa: "string not null",
  sexo: "string",
  /** Age at the sale. */
  idade: "integer",
  /** "<35" or ">=35": with sexo, the segments of the course. */
  faixa_etaria: "string",
  id_categoria: "integer",
  categoria: "string",
  produto: "string",
  qtde: "integer",
  valor_unit: "decimal(10,2)",
  valor_total: "decimal(12,2)",
  ts_venda: "timestamp not null",
  dt_venda: "date not null",
  dispositivo: "string",
  geohash: "string",
  uf: "string",
  regra_local: "boolean not null",
  regra_dispositivo: "boolean not null",
  /** The generator's label (gabarito), from the DW extract; null until dbt and the extract ran. */
  fraude_rotulada: "boolean",
  _marca: "timestamp not null",
  _refinado_em: "timestamp not null",
};

const ESQUEMA_VENDAS_DIARIAS = {
  dt_venda: "date not null",
  uf: "string not null",
  pedidos: "long not null",
  itens: "long not null",
  receita: "decimal(14,2) not null",
  pedidos_regra_local: "long not null",
  pedidos_regra_dispositivo: "long not null",
  pedidos_alguma_regra: "long not null",
  pedidos_fraude_rotulada: "long not null",
  _refinado_em: "timestamp not null",
};

/** The columns compared to decide whether a stored row changed (bookkeeping columns aside). */
export const CAMPOS_ITEM = Object.keys(ESQUEMA_ITENS_POR_PESSOA).filter((c) => !c.startsWith("_"));
export const CAMPOS_DIARIA = Object.keys(ESQUEMA_VENDAS_DIARIAS).filter((c) => !c.startsWith("_"));

export function tabelaRefined(nome: "itens_por_pessoa" | "vendas_diarias", raiz?: string): TabelaDelta {
  return tabela("refined", nome, raiz);
}

export interface ResultadoRefinedTabela {
  tabela: string;
  url: string;
  inseridas: number;
  atualizadas: number;
  excluidas: number;
  commits: number;
  versao: number;
  criada?: boolean;
}

/** Creates the tables missing; returns the names of the ones it created. */
export async function garantirTabelasRefined(raiz: string | undefined): Promise<Set<string>> {
  const criadas = new Set<string>();
  const itens = tabelaRefined("itens_por_pessoa", raiz);
  const diarias = tabelaRefined("vendas_diarias", raiz);
  if (!(await itens.existe())) criadas.add("itens_por_pessoa");
  if (!(await diarias.existe())) criadas.add("vendas_diarias");
  await itens.criar({
    esquema: ESQUEMA_ITENS_POR_PESSOA,
    particionarPor: ["dt_venda"],
    nome: "refined_itens_por_pessoa",
    descricao:
      "Um item de pedido por linha com a pessoa (pseudonimizada), produto, local, dispositivo, as duas regras de fraude e o rótulo.",
    seExistir: "ignorar",
  });
  await diarias.criar({
    esquema: ESQUEMA_VENDAS_DIARIAS,
    nome: "refined_vendas_diarias",
    descricao: "Por dia e UF: pedidos, itens, receita e fraude por regra.",
    seExistir: "ignorar",
  });
  return criadas;
}

/** Greatest _marca of a table, from the files' statistics (no data read). */
export async function marcaDagua(t: TabelaDelta): Promise<number> {
  let m = -Infinity;
  for (const a of (await t.instantaneo()).arquivos.values()) {
    const v = statsDe(a)?.maxValues?._marca;
    if (typeof v !== "string") return -Infinity; // no stats: recompute everything (still exact)
    m = Math.max(m, Date.parse(v));
  }
  return m;
}

/** Comparable text of a refined value (stored rows come back as Date/bigint/string). */
function texto(v: unknown): string {
  if (v === null || v === undefined) return "∅";
  if (v instanceof Date) return String(v.getTime());
  return String(v);
}

/** A row's comparable signature over `campos` (a computed dt_venda is text, a stored one a Date). */
export const assinatura = (l: Linha, campos: string[]) =>
  campos.map((c) => texto(c === "dt_venda" && typeof l[c] === "string" ? new Date(`${l[c] as string}T00:00:00Z`) : l[c])).join("\u0001");

/** A result with nothing written yet, at the table's current version. */
export function resultadoVazio(t: TabelaDelta, nome: string, versao: number, criada: boolean): ResultadoRefinedTabela {
  return { tabela: nome, url: t.url, inseridas: 0, atualizadas: 0, excluidas: 0, commits: 0, versao, ...(criada ? { criada: true } : {}) };
}

/** Upserts then deletes by key (two MERGEs: a rerun after a failure between them fixes the rest). */
export async function gravar(
  t: TabelaDelta,
  res: ResultadoRefinedTabela,
  chaves: string[],
  upserts: Dados | undefined,
  exclusoes: Linha[],
): Promise<void> {
  if (upserts) {
    const r = await t.mesclar(upserts, { chaves, quandoCorresponder: "atualizar", quandoNaoCorresponder: "inserir" });
    res.inseridas = r.linhasInseridas;
    res.atualizadas = r.linhasAtualizadas;
    res.commits++;
    res.versao = r.versao;
  }
  if (exclusoes.length) {
    const r = await t.mesclar(exclusoes, { chaves, quandoCorresponder: "excluir", quandoNaoCorresponder: "ignorar" });
    res.excluidas = r.linhasExcluidas;
    res.commits++;
    res.versao = r.versao;
  }
}
