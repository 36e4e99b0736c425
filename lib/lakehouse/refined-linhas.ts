// The rows of refined/itens_por_pessoa, computed in memory from the sources (refined-fontes.ts):
// which orders to recompute since the watermark, which to hold back, and each item's row. Pure:
// no I/O here.
//
// The device rule of an order depends on the person's other orders, so a person touched by any
// source row newer than the watermark is recomputed whole. The rule itself is the detector's
// (lib/detector/regras.ts), the one TypeScript definition.
import { UFS_PERMITIDAS } from "../geo";
import type { Linha } from "../lake/index";
import { pedidosComDispositivoNovo } from "../detector/regras";
import { centavosArrow, diaDe, msDe, reais, type ColunasItens, type Fontes } from "./refined-fontes";

/**
 * The people with a source row newer than the watermark `marca` (ms). A change in the catalog
 * (products, categories) touches every item, hence everyone.
 */
export function pessoasTocadas(f: Fontes, itens: ColunasItens, marca: number): { pessoas: Set<string>; catalogoMudou: boolean } {
  const catalogoMudou = [...f.produtos.values(), ...f.categorias.values()].some((p) => p.marca > marca);
  const pessoas = new Set<string>();
  if (catalogoMudou) {
    for (const p of f.pedidosDaPessoa.keys()) pessoas.add(p);
    return { pessoas, catalogoMudou };
  }
  const tocarPedido = (id: number) => {
    const p = f.pedidos.get(id);
    if (p) pessoas.add(p.idPessoa);
  };
  for (const p of f.pedidos.values()) if (p.marca > marca) pessoas.add(p.idPessoa);
  for (const [id, a] of f.auditoria) if (a.marca > marca) tocarPedido(id);
  for (const [id, r] of f.rotulos) if (r.marca > marca) tocarPedido(id);
  for (const [id, p] of f.pessoas) if (p.marca > marca) pessoas.add(id);
  for (let i = 0; i < itens.pedido.length; i++) if (msDe(itens.marca[i]) > marca) tocarPedido(Number(itens.pedido[i]));
  return { pessoas, catalogoMudou };
}

/** Every order of the people touched, and those among them that break the device rule. */
export function pedidosARecalcular(f: Fontes, pessoas: Set<string>): { candidatos: Set<number>; novosDispositivos: Set<number> } {
  const candidatos = new Set<number>();
  const novosDispositivos = new Set<number>();
  for (const pessoa of pessoas) {
    const ids = f.pedidosDaPessoa.get(pessoa);
    if (!ids) continue;
    for (const id of ids) candidatos.add(id);
    const pedidos = ids.map((id) => ({ id, instante: f.pedidos.get(id)!.instante, dispositivo: f.auditoria.get(id)?.dispositivo ?? null }));
    for (const id of pedidosComDispositivoNovo(pedidos)) novosDispositivos.add(id);
  }
  return { candidatos, novosDispositivos };
}

/**
 * Orders whose items in trusted do not add up to their total: some items are still on their way
 * (a transaction's events reach the topics one by one) or in quarantine. They are held back;
 * what refined already holds for them stays as it was.
 */
export function pedidosRetidos(f: Fontes, itens: ColunasItens, candidatos: Set<number>): Set<number> {
  const somas = new Map<number, number>();
  for (let i = 0; i < itens.pedido.length; i++) {
    const id = Number(itens.pedido[i]);
    if (candidatos.has(id)) somas.set(id, (somas.get(id) ?? 0) + centavosArrow(itens.valor, i));
  }
  const retidos = new Set<number>();
  for (const id of candidatos) if ((somas.get(id) ?? 0) !== f.pedidos.get(id)!.centavos) retidos.add(id);
  return retidos;
}

/** Item rows by order (indices into the item columns), for the orders to recompute. */
export function itensPorPedido(itens: ColunasItens, candidatos: Set<number>, retidos: Set<number>): Map<number, number[]> {
  const porPedido = new Map<number, number[]>();
  for (let i = 0; i < itens.pedido.length; i++) {
    const id = Number(itens.pedido[i]);
    if (!candidatos.has(id) || retidos.has(id)) continue;
    const l = porPedido.get(id);
    if (l) l.push(i);
    else porPedido.set(id, [i]);
  }
  return porPedido;
}

function idadeEm(nascimentoMs: number, ts: number): number {
  const n = new Date(nascimentoMs);
  const d = new Date(ts);
  let idade = d.getUTCFullYear() - n.getUTCFullYear();
  if (d.getUTCMonth() < n.getUTCMonth() || (d.getUTCMonth() === n.getUTCMonth() && d.getUTCDate() < n.getUTCDate())) idade--;
  return idade;
}

/** Map key of an item (assumes product ids below 4096, as in the course's catalog). */
export const chaveItem = (idPedido: number, idProduto: number) => idPedido * 4096 + idProduto;

/** The refined row of item i, or undefined while its audit row, person or product is missing. */
export function linhaDoItem(
  f: Fontes,
  itens: ColunasItens,
  i: number,
  novosDispositivos: Set<number>,
  refinadoEm: Date,
): Linha | undefined {
  const idPedido = Number(itens.pedido[i]);
  const p = f.pedidos.get(idPedido)!;
  const a = f.auditoria.get(idPedido);
  const pessoa = f.pessoas.get(p.idPessoa);
  const produto = f.produtos.get(itens.produto[i]!);
  if (!a || !pessoa || !produto) return undefined;
  const categoria = produto.idCategoria === null ? undefined : f.categorias.get(produto.idCategoria);
  const rotulo = f.rotulos.get(idPedido);
  const idade = pessoa.nascimento === null ? null : idadeEm(pessoa.nascimento, p.tsVenda);
  return {
    id_pedido: BigInt(idPedido),
    id_produto: itens.produto[i]!,
    id_pessoa: p.idPessoa,
    sexo: pessoa.sexo,
    idade,
    faixa_etaria: idade === null ? null : idade < 35 ? "<35" : ">=35",
    id_categoria: produto.idCategoria,
    categoria: categoria?.descricao ?? null,
    produto: produto.descricao,
    qtde: itens.qtde[i]!,
    valor_unit: reais(produto.centavos),
    valor_total: reais(centavosArrow(itens.valor, i)),
    ts_venda: new Date(p.tsVenda),
    dt_venda: diaDe(p.tsVenda),
    dispositivo: a.dispositivo,
    geohash: a.geohash,
    uf: a.uf,
    regra_local: !(a.uf !== null && (UFS_PERMITIDAS as readonly string[]).includes(a.uf)),
    regra_dispositivo: novosDispositivos.has(idPedido),
    fraude_rotulada: rotulo?.fraude ?? null,
    _marca: new Date(
      Math.max(
        msDe(itens.marca[i]),
        p.marca,
        a.marca,
        pessoa.marca,
        produto.marca,
        categoria?.marca ?? -Infinity,
        rotulo?.marca ?? -Infinity,
      ),
    ),
    _refinado_em: refinadoEm,
  };
}
