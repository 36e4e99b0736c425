// What refined is built from, read as columns (millions of rows: no row objects): the current
// state in trusted (orders, audit rows, people, catalog, items) and the generator's label, which
// only the DW extract carries (raw/dw/fato_pedidos). Each source row keeps its promotion time
// (trusted _promovido_em, raw ingerido_em) as its mark: refined's watermark is compared with it.
import type { TabelaDelta } from "../lake/index";
import { lerColunas } from "./comum";
import { tabelaRawDw } from "./raw";
import { tabelaTrusted } from "./trusted";

/** Milliseconds of a timestamp read from Arrow (µs since the epoch, as bigint). */
export const msDe = (v: unknown) => Number((v as bigint) / 1000n);
/** Cents of a decimal read from Arrow (128-bit little-endian words; refined values are ≥ 0 and < 2^53). */
export const centavosArrow = (a: ArrayLike<number>, i: number) => a[4 * i]! + a[4 * i + 1]! * 2 ** 32;
/** Cents as a decimal text ("12.34"), how refined writes money. */
export const reais = (c: number) => `${Math.trunc(c / 100)}.${String(c % 100).padStart(2, "0")}`;
/** "YYYY-MM-DD" (UTC) of an instant in ms. */
export const diaDe = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The columns of a table, or undefined while it has no data file (a fresh lakehouse). */
export async function colunas(t: TabelaDelta, nomes: string[]): Promise<ArrayLike<unknown>[] | undefined> {
  if (!(await t.existe()) || (await t.instantaneo()).arquivos.size === 0) return undefined;
  return lerColunas(t, nomes);
}

export interface Pedido {
  idPessoa: string;
  /** Sale instant, µs since the epoch (PostgreSQL's resolution): what the device rule compares. */
  instante: number;
  /** The same instant in ms (what a Date holds). */
  tsVenda: number;
  centavos: number;
  marca: number;
}
export interface Auditoria {
  dispositivo: string | null;
  geohash: string | null;
  uf: string | null;
  marca: number;
}
export interface Pessoa {
  sexo: string | null;
  /** dt_nasc, ms since the epoch (how Arrow hands out a date column). */
  nascimento: number | null;
  marca: number;
}
export interface Produto {
  idCategoria: number | null;
  descricao: string | null;
  centavos: number;
  marca: number;
}

export interface Fontes {
  pedidos: Map<number, Pedido>;
  pedidosDaPessoa: Map<string, number[]>;
  auditoria: Map<number, Auditoria>;
  pessoas: Map<string, Pessoa>;
  produtos: Map<number, Produto>;
  categorias: Map<number, { descricao: string | null; marca: number }>;
  /** Label per order, and when its extract row was ingested. */
  rotulos: Map<number, { fraude: boolean; marca: number }>;
}

/** trusted/itens_pedidos, five narrow columns of every row (index i is one item). */
export interface ColunasItens {
  pedido: ArrayLike<bigint>;
  produto: ArrayLike<number>;
  qtde: ArrayLike<number>;
  valor: ArrayLike<number>;
  marca: ArrayLike<bigint>;
}

async function lerPedidos(f: Fontes, raiz: string | undefined): Promise<void> {
  const ped = await colunas(tabelaTrusted("pedidos", raiz), ["id", "id_pessoa", "dt_venda", "valor_total", "_promovido_em"]);
  if (!ped) return;
  const [ids, pessoas, ts, valores, marcas] = ped as [
    ArrayLike<bigint>,
    ArrayLike<string>,
    ArrayLike<bigint>,
    ArrayLike<number>,
    ArrayLike<bigint>,
  ];
  for (let i = 0; i < ids.length; i++) {
    const id = Number(ids[i]);
    f.pedidos.set(id, {
      idPessoa: pessoas[i]!,
      instante: Number(ts[i]),
      tsVenda: msDe(ts[i]),
      centavos: centavosArrow(valores, i),
      marca: msDe(marcas[i]),
    });
    const l = f.pedidosDaPessoa.get(pessoas[i]!);
    if (l) l.push(id);
    else f.pedidosDaPessoa.set(pessoas[i]!, [id]);
  }
}

async function lerAuditoria(f: Fontes, raiz: string | undefined): Promise<void> {
  const aud = await colunas(tabelaTrusted("auditoria_pedidos", raiz), ["id_pedido", "dispositivo", "geohash", "uf", "_promovido_em"]);
  if (!aud) return;
  const [ids, disp, gh, uf, marcas] = aud as [
    ArrayLike<bigint>,
    ArrayLike<string | null>,
    ArrayLike<string | null>,
    ArrayLike<string | null>,
    ArrayLike<bigint>,
  ];
  for (let i = 0; i < ids.length; i++)
    f.auditoria.set(Number(ids[i]), { dispositivo: disp[i] ?? null, geohash: gh[i] ?? null, uf: uf[i] ?? null, marca: msDe(marcas[i]) });
}

async function lerPessoas(f: Fontes, raiz: string | undefined): Promise<void> {
  const pes = await colunas(tabelaTrusted("pessoas", raiz), ["id", "sexo", "dt_nasc", "_promovido_em"]);
  if (!pes) return;
  const [ids, sexo, nasc, marcas] = pes as [ArrayLike<string>, ArrayLike<string | null>, ArrayLike<number | null>, ArrayLike<bigint>];
  for (let i = 0; i < ids.length; i++)
    f.pessoas.set(ids[i]!, { sexo: sexo[i] ?? null, nascimento: nasc[i] ?? null, marca: msDe(marcas[i]) });
}

async function lerCatalogo(f: Fontes, raiz: string | undefined): Promise<void> {
  const prod = await colunas(tabelaTrusted("produtos", raiz), ["id", "id_categoria", "descricao", "valor_unit", "_promovido_em"]);
  if (prod) {
    const [ids, cats, desc, valores, marcas] = prod as [
      ArrayLike<number>,
      ArrayLike<number | null>,
      ArrayLike<string | null>,
      ArrayLike<number>,
      ArrayLike<bigint>,
    ];
    for (let i = 0; i < ids.length; i++)
      f.produtos.set(ids[i]!, {
        idCategoria: cats[i] ?? null,
        descricao: desc[i] ?? null,
        centavos: centavosArrow(valores, i),
        marca: msDe(marcas[i]),
      });
  }
  const cat = await colunas(tabelaTrusted("categorias", raiz), ["id", "descricao", "_promovido_em"]);
  if (cat) {
    const [ids, desc, marcas] = cat as [ArrayLike<number>, ArrayLike<string | null>, ArrayLike<bigint>];
    for (let i = 0; i < ids.length; i++) f.categorias.set(ids[i]!, { descricao: desc[i] ?? null, marca: msDe(marcas[i]) });
  }
}

async function lerRotulos(f: Fontes, raiz: string | undefined): Promise<void> {
  // The extract appends a row each time dbt reloads an order: the latest (_marca_us) wins.
  const rot = await colunas(tabelaRawDw("fato_pedidos", raiz), ["id_pedido", "fraude_rotulada", "_marca_us", "ingerido_em"]);
  if (!rot) return;
  // fraude_rotulada there is the label's kind ("dispositivo", "local") or null for none.
  const [ids, tipo, marcaUs, ingerido] = rot as [ArrayLike<bigint>, ArrayLike<string | null>, ArrayLike<bigint | null>, ArrayLike<bigint>];
  const versao = new Map<number, bigint>();
  for (let i = 0; i < ids.length; i++) {
    const id = Number(ids[i]);
    const m = marcaUs[i] ?? -1n;
    const anterior = versao.get(id);
    if (anterior !== undefined && anterior > m) continue;
    versao.set(id, m);
    f.rotulos.set(id, { fraude: tipo[i] != null, marca: msDe(ingerido[i]) });
  }
}

/** Every source of refined but the items, keyed for lookups. */
export async function lerFontes(raiz: string | undefined): Promise<Fontes> {
  const f: Fontes = {
    pedidos: new Map(),
    pedidosDaPessoa: new Map(),
    auditoria: new Map(),
    pessoas: new Map(),
    produtos: new Map(),
    categorias: new Map(),
    rotulos: new Map(),
  };
  await lerPedidos(f, raiz);
  await lerAuditoria(f, raiz);
  await lerPessoas(f, raiz);
  await lerCatalogo(f, raiz);
  await lerRotulos(f, raiz);
  return f;
}

export async function lerItens(raiz: string | undefined): Promise<ColunasItens> {
  const c = await colunas(tabelaTrusted("itens_pedidos", raiz), ["id_pedido", "id_produto", "qtde", "valor_total", "_promovido_em"]);
  const [pedido, produto, qtde, valor, marca] = (c ?? [[], [], [], [], []]) as [
    ArrayLike<bigint>,
    ArrayLike<number>,
    ArrayLike<number>,
    ArrayLike<number>,
    ArrayLike<bigint>,
  ];
  return { pedido, produto, qtde, valor, marca };
}
