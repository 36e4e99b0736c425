// The quality gate trusted → refined: expectations over the rows about to enter refined (no
// personal data in clear text, known UF, item = qtde × valor_unit, a possible sale date, a
// plausible fraud rate by the Wilson interval). The build feeds it batch by batch and writes
// nothing unless the report is ok; otherwise it throws ErroPortao with the report.
import { ErroLiga } from "../erros";
import { FORA_DO_BRASIL, UFS } from "../geo";
import type { Linha } from "../lake/index";
import { taxaCompativel, type Verificacao } from "../qualidade";

export interface RelatorioPortao {
  ok: boolean;
  /** Rows checked (the ones about to enter refined). */
  linhas: number;
  verificacoes: Verificacao[];
}

/** The gate failed: nothing was written to refined. */
export class ErroPortao extends ErroLiga {
  override name = "ErroPortao";
  constructor(readonly relatorio: RelatorioPortao) {
    const falhas = relatorio.verificacoes.filter((v) => !v.ok);
    super(
      `Portão de qualidade trusted → refined reprovou ${falhas.length} expectativa(s); nada foi gravado em refined:\n` +
        falhas.map((v) => `  ✘ ${v.nome}: ${v.valor} (esperado: ${v.esperado})`).join("\n"),
    );
  }
}

/** The gate, fed batch by batch; relatorio() once every row was seen. */
export interface Portao {
  adicionar(linhas: readonly Linha[]): void;
  relatorio(): RelatorioPortao;
}

// A pseudonym is an HMAC-SHA256 in hex; a run of 10 to 13 digits in a text column looks like a
// CPF or a phone number that escaped pseudonymization.
const HEX64 = /^[0-9a-f]{64}$/;
const CPF_OU_TELEFONE = /(^|\D)\d{10,13}(\D|$)/;
const UFS_VALIDAS = new Set<string>([...UFS, FORA_DO_BRASIL]);
const UM_DIA_MS = 86_400_000;

/** Counters of the rows that break each expectation, and the fraud rate per distinct order. */
interface Contagem {
  linhas: number;
  pii: number;
  ufInvalida: number;
  itemDivergente: number;
  dataImpossivel: number;
  fraudes: number;
  pedidos: Set<number>;
}

const centavos = (v: unknown) => Math.round(Number(v) * 100);

function contar(c: Contagem, l: Linha, agora: number): void {
  c.linhas++;
  if (
    !HEX64.test(String(l.id_pessoa)) ||
    [l.produto, l.categoria, l.dispositivo, l.geohash].some((v) => typeof v === "string" && CPF_OU_TELEFONE.test(v))
  )
    c.pii++;
  if (l.uf === null || !UFS_VALIDAS.has(l.uf as string)) c.ufInvalida++;
  if (centavos(l.valor_total) !== centavos(l.valor_unit) * (l.qtde as number)) c.itemDivergente++;
  const ts = (l.ts_venda as Date).getTime();
  if (ts < Date.UTC(2000, 0, 1) || ts > agora + UM_DIA_MS) c.dataImpossivel++;
  // The rate counts orders, not items: an order's items all carry the same rules.
  const id = Number(l.id_pedido);
  if (c.pedidos.has(id)) return;
  c.pedidos.add(id);
  if (l.regra_local || l.regra_dispositivo) c.fraudes++;
}

function verificacoes(c: Contagem): Verificacao[] {
  const n = c.pedidos.size;
  const taxa = n ? c.fraudes / n : 0;
  return [
    {
      nome: "sem dado pessoal em claro",
      ok: c.pii === 0,
      valor: `${c.pii} linha(s) com id_pessoa fora do formato de pseudônimo ou número de CPF/telefone`,
      esperado: "0",
    },
    {
      nome: "UF conhecida",
      ok: c.ufInvalida === 0,
      valor: `${c.ufInvalida} linha(s) sem UF válida`,
      esperado: "0 (27 UFs ou 'fora do Brasil')",
    },
    { nome: "item = qtde × valor_unit", ok: c.itemDivergente === 0, valor: `${c.itemDivergente} item(ns) divergente(s)`, esperado: "0" },
    {
      nome: "data de venda possível",
      ok: c.dataImpossivel === 0,
      valor: `${c.dataImpossivel} linha(s) fora de 2000-01-01 … amanhã`,
      esperado: "0",
    },
    {
      nome: "taxa de fraude (regras) plausível",
      ok: n === 0 || taxaCompativel(c.fraudes, n),
      valor: `${c.fraudes} de ${n} pedido(s) = ${(taxa * 100).toFixed(2)}%`,
      esperado: "compatível com 0,5% – 10% (Wilson 99,9%)",
    },
  ];
}

/** A new gate; `agora` (ms) bounds the possible sale dates. */
export function novoPortao(agora: number): Portao {
  const c: Contagem = { linhas: 0, pii: 0, ufInvalida: 0, itemDivergente: 0, dataImpossivel: 0, fraudes: 0, pedidos: new Set() };
  return {
    adicionar(linhas) {
      for (const l of linhas) contar(c, l, agora);
    },
    relatorio() {
      const v = verificacoes(c);
      return { ok: v.every((x) => x.ok), linhas: c.linhas, verificacoes: v };
    },
  };
}
