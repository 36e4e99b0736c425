// The refined layer: what analysts and the fraud model read (the tables: refined-tabelas.ts).
//
// Built from trusted (plus the label, which only the DW extract carries: raw/dw/fato_pedidos).
// Incremental, with the watermark in the rows: each refined row keeps in _marca the latest
// promotion time (trusted _promovido_em, raw ingerido_em) of the source rows it was made of.
// A build recomputes only the orders of the people touched by a source row newer than the
// greatest _marca — the device rule of an order depends on the person's other orders, so a
// person is recomputed whole — and writes only rows that differ from what is stored. A second
// build in a row therefore writes nothing. Items whose order, audit row or person has not
// reached trusted yet wait; the source row that completes them is newer than the watermark and
// brings them in.
//
// A quality gate (portao.ts) runs on the rows about to enter refined; if an expectation fails,
// nothing is written and the build stops with the gate's report (ErroPortao).
//
// The build, phase by phase: read the sources (refined-fontes.ts), choose the orders to
// recompute and hold back the incomplete ones (refined-linhas.ts), find what refined stores for
// them, compute and compare batch by batch while feeding the gate, then write itens_por_pessoa
// and the days touched of vendas_diarias (refined-diarias.ts).
import type * as arrow from "apache-arrow";
import { conformar, type Linha, type TabelaDelta } from "../lake/index";
import type { OpcoesLakehouse } from "./comum";
import { ErroPortao, novoPortao, type Portao, type RelatorioPortao } from "./portao";
import { atualizarDiarias } from "./refined-diarias";
import { colunas, diaDe, lerFontes, lerItens, type ColunasItens, type Fontes } from "./refined-fontes";
import { chaveItem, itensPorPedido, linhaDoItem, pedidosARecalcular, pedidosRetidos, pessoasTocadas } from "./refined-linhas";
import {
  assinatura,
  CAMPOS_ITEM,
  garantirTabelasRefined,
  gravar,
  marcaDagua,
  resultadoVazio,
  tabelaRefined,
  type ResultadoRefinedTabela,
} from "./refined-tabelas";

/** Orders computed and compared per batch (bounded memory on a first build over millions of items). */
const PEDIDOS_POR_LOTE = 50_000;

export interface OpcoesRefined extends OpcoesLakehouse {
  /** "Now" for the date expectation (tests). */
  agora?: Date;
  aoProgredir?: (texto: string) => void;
}

export interface ResultadoRefined {
  /** Orders recomputed (of the people touched since the watermark). */
  pedidosRecalculados: number;
  /** Items not promotable yet (their order, audit row, person or product is not in trusted). */
  itensAguardando: number;
  /** Orders held back: their items in trusted do not add up to the total (items in flight or in quarantine). */
  pedidosRetidos: number;
  itens: ResultadoRefinedTabela;
  diarias: ResultadoRefinedTabela;
  portao: RelatorioPortao;
}

/** What itens_por_pessoa stores for the orders of a build. */
interface Armazenado {
  /** Stored rows to delete (their order left trusted, or their day changed). */
  exclusoes: Linha[];
  /** Days (partitions) written or deleted from: vendas_diarias is recomputed for them. */
  diasTocados: Set<string>;
  /** Per order to recompute, the days where its stored rows are. */
  diasGuardados: Map<number, Set<string>>;
}

/**
 * Stored rows whose order left trusted (deleted in the OLTP) go away; for the orders to
 * recompute, the days where their stored rows are (the next phase reads only those partitions).
 */
async function lerArmazenado(tItens: TabelaDelta, f: Fontes, itensDoPedido: Map<number, number[]>): Promise<Armazenado> {
  const a: Armazenado = { exclusoes: [], diasTocados: new Set(), diasGuardados: new Map() };
  const armazenadas = await colunas(tItens, ["id_pedido", "id_produto", "dt_venda"]);
  if (!armazenadas) return a;
  const [ps, prs, dts] = armazenadas as [ArrayLike<bigint>, ArrayLike<number>, ArrayLike<number>];
  for (let i = 0; i < ps.length; i++) {
    const id = Number(ps[i]);
    const dia = diaDe(dts[i]!);
    if (!f.pedidos.has(id)) {
      a.exclusoes.push({ dt_venda: dia, id_pedido: ps[i], id_produto: prs[i] });
      a.diasTocados.add(dia);
    } else if (itensDoPedido.has(id)) {
      const d = a.diasGuardados.get(id);
      if (d) d.add(dia);
      else a.diasGuardados.set(id, new Set([dia]));
    }
  }
  return a;
}

/** Everything a batch needs to compute its rows and compare them with refined. */
interface Recalculo {
  f: Fontes;
  itens: ColunasItens;
  itensDoPedido: Map<number, number[]>;
  novosDispositivos: Set<number>;
  refinadoEm: Date;
  tItens: TabelaDelta;
  armazenado: Armazenado;
}

/**
 * One batch of orders: computes their rows, reads what refined stores for them (from the orders'
 * own partitions only) and returns the rows that differ; stale stored rows join the exclusions.
 */
async function compararLote(r: Recalculo, lote: number[]): Promise<{ upserts: Linha[]; aguardando: number }> {
  const { armazenado: a } = r;
  const calculadas = new Map<number, Linha>();
  let aguardando = 0;
  for (const id of lote) {
    for (const i of r.itensDoPedido.get(id)!) {
      const l = linhaDoItem(r.f, r.itens, i, r.novosDispositivos, r.refinadoEm);
      if (l) calculadas.set(chaveItem(id, r.itens.produto[i]!), l);
      else aguardando++;
    }
  }
  const comGuardadas = lote.filter((id) => a.diasGuardados.has(id));
  const dias = [...new Set(comGuardadas.flatMap((id) => [...a.diasGuardados.get(id)!]))];
  // By id list, not range: historical orders of one id range spread over every day.
  const guardadas = comGuardadas.length
    ? await r.tItens.linhas({
        onde: [
          ["dt_venda", "in", dias],
          ["id_pedido", "in", comGuardadas.map(BigInt)],
        ],
      })
    : [];
  const noLote = new Set(comGuardadas);
  const upserts: Linha[] = [];
  for (const atual of guardadas) {
    const id = Number(atual.id_pedido);
    if (!noLote.has(id)) continue;
    const k = chaveItem(id, atual.id_produto as number);
    const nova = calculadas.get(k);
    calculadas.delete(k);
    const dia = (atual.dt_venda as Date).toISOString().slice(0, 10);
    // The key includes the partition (MERGE then reads only the days involved): a row whose
    // day changed is deleted from its old day and inserted in the new one.
    if (!nova || nova.dt_venda !== dia) {
      a.exclusoes.push({ dt_venda: dia, id_pedido: atual.id_pedido, id_produto: atual.id_produto });
      a.diasTocados.add(dia);
    }
    if (nova && (nova.dt_venda !== dia || assinatura(nova, CAMPOS_ITEM) !== assinatura(atual, CAMPOS_ITEM))) upserts.push(nova);
  }
  for (const nova of calculadas.values()) upserts.push(nova);
  for (const l of upserts) a.diasTocados.add(l.dt_venda as string);
  return { upserts, aguardando };
}

/**
 * Every order to recompute, in batches: what differs is kept as Arrow (compact) and fed to the
 * gate. Nothing is written here: the caller writes only once the gate has seen every row.
 */
async function recalcularEmLotes(
  r: Recalculo,
  esquema: Parameters<typeof conformar>[1],
  porta: Portao,
): Promise<{ novas: arrow.Table[]; aEscrever: number; aguardando: number }> {
  const ordem = [...r.itensDoPedido.keys()].sort((a, b) => a - b);
  const novas: arrow.Table[] = [];
  let aEscrever = 0;
  let aguardando = 0;
  for (let b = 0; b < ordem.length; b += PEDIDOS_POR_LOTE) {
    const lote = await compararLote(r, ordem.slice(b, b + PEDIDOS_POR_LOTE));
    porta.adicionar(lote.upserts);
    if (lote.upserts.length) novas.push(conformar(lote.upserts, esquema));
    aEscrever += lote.upserts.length;
    aguardando += lote.aguardando;
  }
  return { novas, aEscrever, aguardando };
}

export async function construirRefined(opcoes: OpcoesRefined = {}): Promise<ResultadoRefined> {
  const { raiz, aoProgredir } = opcoes;
  const criadas = await garantirTabelasRefined(raiz);
  const tItens = tabelaRefined("itens_por_pessoa", raiz);
  const agora = opcoes.agora ?? new Date();
  const marca = await marcaDagua(tItens);
  const f = await lerFontes(raiz);
  aoProgredir?.(
    `refined: ${f.pedidos.size} pedidos em trusted, marca d'água ${Number.isFinite(marca) ? new Date(marca).toISOString() : "(vazia)"}`,
  );

  // Touched since the watermark → people → all their orders; the incomplete ones wait.
  const itens = await lerItens(raiz);
  const { pessoas, catalogoMudou } = pessoasTocadas(f, itens, marca);
  const { candidatos, novosDispositivos } = pedidosARecalcular(f, pessoas);
  aoProgredir?.(
    `refined: ${pessoas.size} pessoa(s) com mudança desde a marca d'água, ${candidatos.size} pedido(s) a recalcular${catalogoMudou ? " (o catálogo mudou: todos)" : ""}`,
  );
  const retidos = pedidosRetidos(f, itens, candidatos);
  const itensDoPedido = itensPorPedido(itens, candidatos, retidos);

  const instItens = await tItens.instantaneo();
  const armazenado = await lerArmazenado(tItens, f, itensDoPedido);
  const porta = novoPortao(agora.getTime());
  const recalculo: Recalculo = { f, itens, itensDoPedido, novosDispositivos, refinadoEm: agora, tItens, armazenado };
  const { novas, aEscrever, aguardando } = await recalcularEmLotes(recalculo, instItens.esquema, porta);
  const relatorio = porta.relatorio();
  if (!relatorio.ok) throw new ErroPortao(relatorio);

  const resItens = resultadoVazio(tItens, "itens_por_pessoa", instItens.versao, criadas.has("itens_por_pessoa"));
  const { exclusoes, diasTocados } = armazenado;
  await gravar(
    tItens,
    resItens,
    ["dt_venda", "id_pedido", "id_produto"],
    novas.length ? novas[0]!.concat(...novas.slice(1)) : undefined,
    exclusoes,
  );
  aoProgredir?.(`refined/itens_por_pessoa: ${aEscrever} gravadas, ${exclusoes.length} excluídas, ${aguardando} aguardando`);
  const diarias = await atualizarDiarias(tItens, tabelaRefined("vendas_diarias", raiz), diasTocados, agora, criadas.has("vendas_diarias"));
  return {
    pedidosRecalculados: candidatos.size,
    itensAguardando: aguardando,
    pedidosRetidos: retidos.size,
    itens: resItens,
    diarias,
    portao: relatorio,
  };
}
