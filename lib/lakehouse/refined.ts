// The refined layer: what analysts and the fraud model read.
//   - itens_por_pessoa: one row per order item, in the spirit of the original course's
//     itens_by_person — the person's attributes (pseudonymized id, sex, age, segment), product
//     and category, device, geohash, UF, both fraud rules and the generator's label for
//     training; partitioned by dt_venda.
//   - vendas_diarias: per day and UF, orders, items, revenue and fraud by rule.
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
// A quality gate runs on the rows about to enter refined; if an expectation fails, nothing is
// written and the build stops with the gate's report (ErroPortao).
import { taxaCompativel, type Verificacao } from "../qualidade";
import { FORA_DO_BRASIL, UFS, UFS_PERMITIDAS } from "../geo";
import type * as arrow from "apache-arrow";
import { conformar, statsDe, type Dados, type Linha, type TabelaDelta } from "../lake/index";
import { lerColunas, tabela, type OpcoesLakehouse } from "./comum";
import { tabelaRawDw } from "./raw";
import { tabelaTrusted } from "./trusted";

export const ESQUEMA_ITENS_POR_PESSOA = {
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

export const ESQUEMA_VENDAS_DIARIAS = {
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

const CAMPOS_ITEM = Object.keys(ESQUEMA_ITENS_POR_PESSOA).filter((c) => !c.startsWith("_"));
const CAMPOS_DIARIA = Object.keys(ESQUEMA_VENDAS_DIARIAS).filter((c) => !c.startsWith("_"));
/** Orders computed and compared per batch (bounded memory on a first build over millions of items). */
const PEDIDOS_POR_LOTE = 50_000;

export function tabelaRefined(nome: "itens_por_pessoa" | "vendas_diarias", raiz?: string): TabelaDelta {
  return tabela("refined", nome, raiz);
}

export interface OpcoesRefined extends OpcoesLakehouse {
  /** "Now" for the date expectation (tests). */
  agora?: Date;
  aoProgredir?: (texto: string) => void;
}

export interface RelatorioPortao {
  ok: boolean;
  /** Rows checked (the ones about to enter refined). */
  linhas: number;
  verificacoes: Verificacao[];
}

/** The gate failed: nothing was written to refined. */
export class ErroPortao extends Error {
  constructor(readonly relatorio: RelatorioPortao) {
    const falhas = relatorio.verificacoes.filter((v) => !v.ok);
    super(
      `Portão de qualidade trusted → refined reprovou ${falhas.length} expectativa(s); nada foi gravado em refined:\n` +
        falhas.map((v) => `  ✘ ${v.nome}: ${v.valor} (esperado: ${v.esperado})`).join("\n"),
    );
    this.name = "ErroPortao";
  }
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

// ---------------------------------------------------------------------------------------------
// Reading trusted as columns (millions of rows: no row objects)

const micros = (v: unknown) => Number((v as bigint) / 1000n);
/** Cents of a decimal read from Arrow (128-bit little-endian words; refined values are ≥ 0 and < 2^53). */
const centavosArrow = (a: ArrayLike<number>, i: number) => a[4 * i]! + a[4 * i + 1]! * 2 ** 32;
const reais = (c: number) => `${Math.trunc(c / 100)}.${String(c % 100).padStart(2, "0")}`;

async function colunas(t: TabelaDelta, nomes: string[]): Promise<ArrayLike<unknown>[] | undefined> {
  if (!(await t.existe()) || (await t.instantaneo()).arquivos.size === 0) return undefined;
  return lerColunas(t, nomes);
}

interface Pedido {
  idPessoa: string;
  tsVenda: number;
  centavos: number;
  marca: number;
}
interface Auditoria {
  dispositivo: string | null;
  geohash: string | null;
  uf: string | null;
  marca: number;
}
interface Pessoa {
  sexo: string | null;
  /** dt_nasc, ms since the epoch (how Arrow hands out a date column). */
  nascimento: number | null;
  marca: number;
}
interface Produto {
  idCategoria: number | null;
  descricao: string | null;
  centavos: number;
  marca: number;
}

interface Fontes {
  pedidos: Map<number, Pedido>;
  pedidosDaPessoa: Map<string, number[]>;
  auditoria: Map<number, Auditoria>;
  pessoas: Map<string, Pessoa>;
  produtos: Map<number, Produto>;
  categorias: Map<number, { descricao: string | null; marca: number }>;
  /** Label per order, and when its extract row was ingested. */
  rotulos: Map<number, { fraude: boolean; marca: number }>;
}

async function lerFontes(raiz: string | undefined): Promise<Fontes> {
  const f: Fontes = { pedidos: new Map(), pedidosDaPessoa: new Map(), auditoria: new Map(), pessoas: new Map(), produtos: new Map(), categorias: new Map(), rotulos: new Map() };
  const ped = await colunas(tabelaTrusted("pedidos", raiz), ["id", "id_pessoa", "dt_venda", "valor_total", "_promovido_em"]);
  if (ped) {
    const [ids, pessoas, ts, valores, marcas] = ped as [ArrayLike<bigint>, ArrayLike<string>, ArrayLike<bigint>, ArrayLike<number>, ArrayLike<bigint>];
    for (let i = 0; i < ids.length; i++) {
      const id = Number(ids[i]);
      f.pedidos.set(id, { idPessoa: pessoas[i]!, tsVenda: micros(ts[i]), centavos: centavosArrow(valores, i), marca: micros(marcas[i]) });
      const l = f.pedidosDaPessoa.get(pessoas[i]!);
      if (l) l.push(id);
      else f.pedidosDaPessoa.set(pessoas[i]!, [id]);
    }
  }
  const aud = await colunas(tabelaTrusted("auditoria_pedidos", raiz), ["id_pedido", "dispositivo", "geohash", "uf", "_promovido_em"]);
  if (aud) {
    const [ids, disp, gh, uf, marcas] = aud as [ArrayLike<bigint>, ArrayLike<string | null>, ArrayLike<string | null>, ArrayLike<string | null>, ArrayLike<bigint>];
    for (let i = 0; i < ids.length; i++) f.auditoria.set(Number(ids[i]), { dispositivo: disp[i] ?? null, geohash: gh[i] ?? null, uf: uf[i] ?? null, marca: micros(marcas[i]) });
  }
  const pes = await colunas(tabelaTrusted("pessoas", raiz), ["id", "sexo", "dt_nasc", "_promovido_em"]);
  if (pes) {
    const [ids, sexo, nasc, marcas] = pes as [ArrayLike<string>, ArrayLike<string | null>, ArrayLike<number | null>, ArrayLike<bigint>];
    for (let i = 0; i < ids.length; i++) f.pessoas.set(ids[i]!, { sexo: sexo[i] ?? null, nascimento: nasc[i] ?? null, marca: micros(marcas[i]) });
  }
  const prod = await colunas(tabelaTrusted("produtos", raiz), ["id", "id_categoria", "descricao", "valor_unit", "_promovido_em"]);
  if (prod) {
    const [ids, cats, desc, valores, marcas] = prod as [ArrayLike<number>, ArrayLike<number | null>, ArrayLike<string | null>, ArrayLike<number>, ArrayLike<bigint>];
    for (let i = 0; i < ids.length; i++) f.produtos.set(ids[i]!, { idCategoria: cats[i] ?? null, descricao: desc[i] ?? null, centavos: centavosArrow(valores, i), marca: micros(marcas[i]) });
  }
  const cat = await colunas(tabelaTrusted("categorias", raiz), ["id", "descricao", "_promovido_em"]);
  if (cat) {
    const [ids, desc, marcas] = cat as [ArrayLike<number>, ArrayLike<string | null>, ArrayLike<bigint>];
    for (let i = 0; i < ids.length; i++) f.categorias.set(ids[i]!, { descricao: desc[i] ?? null, marca: micros(marcas[i]) });
  }
  // The extract appends a row each time dbt reloads an order: the latest (_marca_us) wins.
  const rot = await colunas(tabelaRawDw("fato_pedidos", raiz), ["id_pedido", "fraude_rotulada", "_marca_us", "ingerido_em"]);
  if (rot) {
    // fraude_rotulada there is the label's kind ("dispositivo", "local") or null for none.
    const [ids, tipo, marcaUs, ingerido] = rot as [ArrayLike<bigint>, ArrayLike<string | null>, ArrayLike<bigint | null>, ArrayLike<bigint>];
    const versao = new Map<number, bigint>();
    for (let i = 0; i < ids.length; i++) {
      const id = Number(ids[i]);
      const m = marcaUs[i] ?? -1n;
      const anterior = versao.get(id);
      if (anterior !== undefined && anterior > m) continue;
      versao.set(id, m);
      f.rotulos.set(id, { fraude: tipo[i] != null, marca: micros(ingerido[i]) });
    }
  }
  return f;
}

// ---------------------------------------------------------------------------------------------
// The rules (lib/fraude.ts, lib/detector.ts, dbt's fato_pedidos): the same definitions

/** Orders of a person that break the device rule: an earlier order exists, none with this device. */
function dispositivosNovos(ids: number[], f: Fontes): Set<number> {
  const novos = new Set<number>();
  let primeira = Infinity;
  const primeiraPorDispositivo = new Map<string, number>();
  for (const id of ids) {
    const p = f.pedidos.get(id)!;
    primeira = Math.min(primeira, p.tsVenda);
    const d = f.auditoria.get(id)?.dispositivo;
    if (d != null) primeiraPorDispositivo.set(d, Math.min(primeiraPorDispositivo.get(d) ?? Infinity, p.tsVenda));
  }
  for (const id of ids) {
    const p = f.pedidos.get(id)!;
    const d = f.auditoria.get(id)?.dispositivo;
    if (d != null && p.tsVenda > primeira && p.tsVenda === primeiraPorDispositivo.get(d)) novos.add(id);
  }
  return novos;
}

function idadeEm(nascimentoMs: number, ts: number): number {
  const n = new Date(nascimentoMs);
  const d = new Date(ts);
  let idade = d.getUTCFullYear() - n.getUTCFullYear();
  if (d.getUTCMonth() < n.getUTCMonth() || (d.getUTCMonth() === n.getUTCMonth() && d.getUTCDate() < n.getUTCDate())) idade--;
  return idade;
}

const chaveItem = (idPedido: number, idProduto: number) => idPedido * 4096 + idProduto;
const diaDe = (ts: number) => new Date(ts).toISOString().slice(0, 10);

/** Comparable text of a refined value (stored rows come back as Date/bigint/string). */
function texto(v: unknown): string {
  if (v === null || v === undefined) return "∅";
  if (v instanceof Date) return String(v.getTime());
  return String(v);
}
const assinatura = (l: Linha, campos: string[]) => campos.map((c) => texto(c === "dt_venda" && typeof l[c] === "string" ? new Date(`${l[c] as string}T00:00:00Z`) : l[c])).join("\u0001");

// ---------------------------------------------------------------------------------------------
// Gate

const HEX64 = /^[0-9a-f]{64}$/;
const CPF_OU_TELEFONE = /(^|\D)\d{10,13}(\D|$)/;
const UFS_VALIDAS = new Set<string>([...UFS, FORA_DO_BRASIL]);

/** The gate, fed batch by batch; relatorio() once every row was seen. */
function novoPortao(agora: number): { adicionar(linhas: Linha[]): void; relatorio(): RelatorioPortao } {
  let n = 0;
  let pii = 0;
  let ufInvalida = 0;
  let itemDivergente = 0;
  let dataImpossivel = 0;
  let fraudes = 0;
  const vistos = new Set<number>();
  const c = (v: unknown) => Math.round(Number(v) * 100);
  return {
    adicionar(linhas) {
      n += linhas.length;
      for (const l of linhas) {
        if (!HEX64.test(String(l.id_pessoa)) || [l.produto, l.categoria, l.dispositivo, l.geohash].some((v) => typeof v === "string" && CPF_OU_TELEFONE.test(v))) pii++;
        if (l.uf === null || !UFS_VALIDAS.has(l.uf as string)) ufInvalida++;
        if (c(l.valor_total) !== c(l.valor_unit) * (l.qtde as number)) itemDivergente++;
        const ts = (l.ts_venda as Date).getTime();
        if (ts < Date.UTC(2000, 0, 1) || ts > agora + 86_400_000) dataImpossivel++;
        const id = Number(l.id_pedido);
        if (vistos.has(id)) continue;
        vistos.add(id);
        if (l.regra_local || l.regra_dispositivo) fraudes++;
      }
    },
    relatorio() {
      const taxa = vistos.size ? fraudes / vistos.size : 0;
      const verificacoes: Verificacao[] = [
        { nome: "sem dado pessoal em claro", ok: pii === 0, valor: `${pii} linha(s) com id_pessoa fora do formato de pseudônimo ou número de CPF/telefone`, esperado: "0" },
        { nome: "UF conhecida", ok: ufInvalida === 0, valor: `${ufInvalida} linha(s) sem UF válida`, esperado: "0 (27 UFs ou 'fora do Brasil')" },
        { nome: "item = qtde × valor_unit", ok: itemDivergente === 0, valor: `${itemDivergente} item(ns) divergente(s)`, esperado: "0" },
        { nome: "data de venda possível", ok: dataImpossivel === 0, valor: `${dataImpossivel} linha(s) fora de 2000-01-01 … amanhã`, esperado: "0" },
        {
          nome: "taxa de fraude (regras) plausível",
          ok: vistos.size === 0 || taxaCompativel(fraudes, vistos.size),
          valor: `${fraudes} de ${vistos.size} pedido(s) = ${(taxa * 100).toFixed(2)}%`,
          esperado: "compatível com 0,5% – 10% (Wilson 99,9%)",
        },
      ];
      return { ok: verificacoes.every((v) => v.ok), linhas: n, verificacoes };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Build

async function garantir(raiz: string | undefined): Promise<Set<string>> {
  const criadas = new Set<string>();
  const itens = tabelaRefined("itens_por_pessoa", raiz);
  const diarias = tabelaRefined("vendas_diarias", raiz);
  if (!(await itens.existe())) criadas.add("itens_por_pessoa");
  if (!(await diarias.existe())) criadas.add("vendas_diarias");
  await itens.criar({
    esquema: ESQUEMA_ITENS_POR_PESSOA,
    particionarPor: ["dt_venda"],
    nome: "refined_itens_por_pessoa",
    descricao: "Um item de pedido por linha com a pessoa (pseudonimizada), produto, local, dispositivo, as duas regras de fraude e o rótulo.",
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
async function marcaDagua(t: TabelaDelta): Promise<number> {
  let m = -Infinity;
  for (const a of (await t.instantaneo()).arquivos.values()) {
    const v = statsDe(a)?.maxValues?._marca;
    if (typeof v !== "string") return -Infinity; // no stats: recompute everything (still exact)
    m = Math.max(m, Date.parse(v));
  }
  return m;
}

/** Upserts then deletes by key (two MERGEs: a rerun after a failure between them fixes the rest). */
async function gravar(t: TabelaDelta, res: ResultadoRefinedTabela, chaves: string[], upserts: Dados | undefined, exclusoes: Linha[]): Promise<void> {
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

function vazio(t: TabelaDelta, nome: string, versao: number, criada: boolean): ResultadoRefinedTabela {
  return { tabela: nome, url: t.url, inseridas: 0, atualizadas: 0, excluidas: 0, commits: 0, versao, ...(criada ? { criada: true } : {}) };
}

export async function construirRefined(opcoes: OpcoesRefined = {}): Promise<ResultadoRefined> {
  const raiz = opcoes.raiz;
  const criadas = await garantir(raiz);
  const tItens = tabelaRefined("itens_por_pessoa", raiz);
  const tDiarias = tabelaRefined("vendas_diarias", raiz);
  const agora = opcoes.agora ?? new Date();
  const marca = await marcaDagua(tItens);
  const f = await lerFontes(raiz);
  opcoes.aoProgredir?.(`refined: ${f.pedidos.size} pedidos em trusted, marca d'água ${Number.isFinite(marca) ? new Date(marca).toISOString() : "(vazia)"}`);

  // Items: five narrow columns of every row (the candidates depend on the items' own marks).
  const itensTrusted = await colunas(tabelaTrusted("itens_pedidos", raiz), ["id_pedido", "id_produto", "qtde", "valor_total", "_promovido_em"]);
  const [iPed, iProd, iQtde, iValor, iMarca] = (itensTrusted ?? [[], [], [], [], []]) as [ArrayLike<bigint>, ArrayLike<number>, ArrayLike<number>, ArrayLike<number>, ArrayLike<bigint>];

  // Touched since the watermark → people → all their orders.
  const catalogoMudou = [...f.produtos.values(), ...f.categorias.values()].some((p) => p.marca > marca);
  const pessoasTocadas = new Set<string>();
  const tocarPedido = (id: number) => {
    const p = f.pedidos.get(id);
    if (p) pessoasTocadas.add(p.idPessoa);
  };
  if (catalogoMudou) for (const p of f.pedidosDaPessoa.keys()) pessoasTocadas.add(p);
  else {
    for (const p of f.pedidos.values()) if (p.marca > marca) pessoasTocadas.add(p.idPessoa);
    for (const [id, a] of f.auditoria) if (a.marca > marca) tocarPedido(id);
    for (const [id, r] of f.rotulos) if (r.marca > marca) tocarPedido(id);
    for (const [id, p] of f.pessoas) if (p.marca > marca) pessoasTocadas.add(id);
    for (let i = 0; i < iPed.length; i++) if (micros(iMarca[i]) > marca) tocarPedido(Number(iPed[i]));
  }
  const candidatos = new Set<number>();
  const novosDispositivos = new Set<number>();
  for (const pessoa of pessoasTocadas) {
    const ids = f.pedidosDaPessoa.get(pessoa);
    if (!ids) continue;
    for (const id of ids) candidatos.add(id);
    for (const id of dispositivosNovos(ids, f)) novosDispositivos.add(id);
  }

  opcoes.aoProgredir?.(`refined: ${pessoasTocadas.size} pessoa(s) com mudança desde a marca d'água, ${candidatos.size} pedido(s) a recalcular${catalogoMudou ? " (o catálogo mudou: todos)" : ""}`);

  // Orders whose items in trusted do not add up to their total are held back: some items are
  // still on their way (a transaction's events reach the topics one by one) or in quarantine.
  // What refined already holds for them stays as it was.
  const somas = new Map<number, number>();
  for (let i = 0; i < iPed.length; i++) {
    const id = Number(iPed[i]);
    if (candidatos.has(id)) somas.set(id, (somas.get(id) ?? 0) + centavosArrow(iValor, i));
  }
  const retidos = new Set<number>();
  for (const id of candidatos) if ((somas.get(id) ?? 0) !== f.pedidos.get(id)!.centavos) retidos.add(id);

  // Item rows by order (indices into the item columns), for the orders to recompute.
  const itensDoPedido = new Map<number, number[]>();
  for (let i = 0; i < iPed.length; i++) {
    const id = Number(iPed[i]);
    if (!candidatos.has(id) || retidos.has(id)) continue;
    const l = itensDoPedido.get(id);
    if (l) l.push(i);
    else itensDoPedido.set(id, [i]);
  }
  const refinadoEm = agora;
  let aguardando = 0;
  /** The refined row of item i, or undefined while its audit row, person or product is missing. */
  const calcular = (i: number): Linha | undefined => {
    const idPedido = Number(iPed[i]);
    const p = f.pedidos.get(idPedido)!;
    const a = f.auditoria.get(idPedido);
    const pessoa = f.pessoas.get(p.idPessoa);
    const produto = f.produtos.get(iProd[i]!);
    if (!a || !pessoa || !produto) {
      aguardando++;
      return undefined;
    }
    const categoria = produto.idCategoria === null ? undefined : f.categorias.get(produto.idCategoria);
    const rotulo = f.rotulos.get(idPedido);
    const idade = pessoa.nascimento === null ? null : idadeEm(pessoa.nascimento, p.tsVenda);
    return {
      id_pedido: BigInt(idPedido),
      id_produto: iProd[i]!,
      id_pessoa: p.idPessoa,
      sexo: pessoa.sexo,
      idade,
      faixa_etaria: idade === null ? null : idade < 35 ? "<35" : ">=35",
      id_categoria: produto.idCategoria,
      categoria: categoria?.descricao ?? null,
      produto: produto.descricao,
      qtde: iQtde[i]!,
      valor_unit: reais(produto.centavos),
      valor_total: reais(centavosArrow(iValor, i)),
      ts_venda: new Date(p.tsVenda),
      dt_venda: diaDe(p.tsVenda),
      dispositivo: a.dispositivo,
      geohash: a.geohash,
      uf: a.uf,
      regra_local: !(a.uf !== null && (UFS_PERMITIDAS as readonly string[]).includes(a.uf)),
      regra_dispositivo: novosDispositivos.has(idPedido),
      fraude_rotulada: rotulo?.fraude ?? null,
      _marca: new Date(Math.max(micros(iMarca[i]), p.marca, a.marca, pessoa.marca, produto.marca, categoria?.marca ?? -Infinity, rotulo?.marca ?? -Infinity)),
      _refinado_em: refinadoEm,
    };
  };

  // Stored rows whose order left trusted (deleted in the OLTP) go away; for the orders to
  // recompute, the days (partitions) where their stored rows are.
  const instItens = await tItens.instantaneo();
  const exclusoes: Linha[] = [];
  const diasTocados = new Set<string>();
  const diasGuardados = new Map<number, Set<string>>();
  const armazenadas = await colunas(tItens, ["id_pedido", "id_produto", "dt_venda"]);
  if (armazenadas) {
    const [ps, prs, dts] = armazenadas as [ArrayLike<bigint>, ArrayLike<number>, ArrayLike<number>];
    for (let i = 0; i < ps.length; i++) {
      const id = Number(ps[i]);
      const dia = diaDe(dts[i]!);
      if (!f.pedidos.has(id)) {
        exclusoes.push({ dt_venda: dia, id_pedido: ps[i], id_produto: prs[i] });
        diasTocados.add(dia);
      } else if (itensDoPedido.has(id)) {
        const d = diasGuardados.get(id);
        if (d) d.add(dia);
        else diasGuardados.set(id, new Set([dia]));
      }
    }
  }

  // In batches of orders: compute, compare with what is stored (read from the orders' own
  // partitions only), keep only what differs as Arrow (compact), and feed the gate. Nothing is
  // written before the gate has seen every row.
  const ordem = [...itensDoPedido.keys()].sort((a, b) => a - b);
  const porta = novoPortao(agora.getTime());
  const novas: arrow.Table[] = [];
  let aEscrever = 0;
  for (let b = 0; b < ordem.length; b += PEDIDOS_POR_LOTE) {
    const lote = ordem.slice(b, b + PEDIDOS_POR_LOTE);
    const calculadas = new Map<number, Linha>();
    for (const id of lote) {
      for (const i of itensDoPedido.get(id)!) {
        const l = calcular(i);
        if (l) calculadas.set(chaveItem(id, iProd[i]!), l);
      }
    }
    const comGuardadas = lote.filter((id) => diasGuardados.has(id));
    const dias = [...new Set(comGuardadas.flatMap((id) => [...diasGuardados.get(id)!]))];
    // By id list, not range: historical orders of one id range spread over every day.
    const guardadas = comGuardadas.length ? await tItens.linhas({ onde: [["dt_venda", "in", dias], ["id_pedido", "in", comGuardadas.map(BigInt)]] }) : [];
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
        exclusoes.push({ dt_venda: dia, id_pedido: atual.id_pedido, id_produto: atual.id_produto });
        diasTocados.add(dia);
      }
      if (nova && (nova.dt_venda !== dia || assinatura(nova, CAMPOS_ITEM) !== assinatura(atual, CAMPOS_ITEM))) upserts.push(nova);
    }
    for (const nova of calculadas.values()) upserts.push(nova);
    for (const l of upserts) diasTocados.add(l.dt_venda as string);
    porta.adicionar(upserts);
    if (upserts.length) novas.push(conformar(upserts, instItens.esquema));
    aEscrever += upserts.length;
  }

  const relatorio = porta.relatorio();
  if (!relatorio.ok) throw new ErroPortao(relatorio);

  const itens = vazio(tItens, "itens_por_pessoa", instItens.versao, criadas.has("itens_por_pessoa"));
  await gravar(tItens, itens, ["dt_venda", "id_pedido", "id_produto"], novas.length ? novas[0]!.concat(...novas.slice(1)) : undefined, exclusoes);
  opcoes.aoProgredir?.(`refined/itens_por_pessoa: ${aEscrever} gravadas, ${exclusoes.length} excluídas, ${aguardando} aguardando`);
  const diarias = await atualizarDiarias(tItens, tDiarias, diasTocados, refinadoEm, criadas.has("vendas_diarias"));
  return { pedidosRecalculados: candidatos.size, itensAguardando: aguardando, pedidosRetidos: retidos.size, itens, diarias, portao: relatorio };
}

/** Recomputes vendas_diarias for the days touched, from itens_por_pessoa; writes only what differs. */
async function atualizarDiarias(tItens: TabelaDelta, tDiarias: TabelaDelta, dias: Set<string>, refinadoEm: Date, criada: boolean): Promise<ResultadoRefinedTabela> {
  const res = vazio(tDiarias, "vendas_diarias", (await tDiarias.instantaneo()).versao, criada);
  if (dias.size === 0) return res;
  const lista = [...dias].sort();
  const { tabela: t } = await tItens.ler({
    colunas: ["id_pedido", "dt_venda", "uf", "valor_total", "regra_local", "regra_dispositivo", "fraude_rotulada"],
    onde: [["dt_venda", "in", lista]],
  });
  const [ids, dts, ufs, valores, local, disp, rot] = ["id_pedido", "dt_venda", "uf", "valor_total", "regra_local", "regra_dispositivo", "fraude_rotulada"].map(
    (c) => t.getChild(c)!,
  );
  const valoresArr = valores!.toArray() as ArrayLike<number>;
  const idsArr = ids!.toArray() as ArrayLike<bigint>;
  const dtsArr = dts!.toArray() as ArrayLike<number>;
  interface Grupo {
    pedidos: Set<bigint>;
    itens: number;
    centavos: number;
    local: number;
    dispositivo: number;
    alguma: number;
    rotulada: number;
  }
  const grupos = new Map<string, Grupo>();
  for (let i = 0; i < t.numRows; i++) {
    const dia = diaDe(dtsArr[i]!);
    const uf = (ufs!.get(i) as string | null) ?? "?";
    const k = `${dia}\u0001${uf}`;
    let g = grupos.get(k);
    if (!g) grupos.set(k, (g = { pedidos: new Set(), itens: 0, centavos: 0, local: 0, dispositivo: 0, alguma: 0, rotulada: 0 }));
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
  const novas = new Map<string, Linha>();
  for (const [k, g] of grupos) {
    const [dia, uf] = k.split("\u0001") as [string, string];
    novas.set(k, {
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
    });
  }
  const atuais = (await tDiarias.instantaneo()).arquivos.size ? await tDiarias.linhas({ onde: [["dt_venda", "in", lista]] }) : [];
  const chaveDe = (l: Linha) => `${typeof l.dt_venda === "string" ? l.dt_venda : (l.dt_venda as Date).toISOString().slice(0, 10)}\u0001${l.uf as string}`;
  const porChave = new Map(atuais.map((l) => [chaveDe(l), l]));
  const upserts = [...novas].filter(([k, l]) => !porChave.has(k) || assinatura(l, CAMPOS_DIARIA) !== assinatura(porChave.get(k)!, CAMPOS_DIARIA)).map(([, l]) => l);
  const exclusoes = atuais.filter((l) => !novas.has(chaveDe(l))).map((l) => ({ dt_venda: l.dt_venda, uf: l.uf }));
  await gravar(tDiarias, res, ["dt_venda", "uf"], upserts.length ? upserts : undefined, exclusoes);
  return res;
}
