// The two generators of the course, run against the OLTP: historical (past orders, no new
// people, ≈1% fraud) and streaming (orders now, new people every tick, ≈5% fraud). Each batch
// or tick is one transaction: an order never exists without its items, audit row and label.
import type pg from "pg";
import { connect, inTransaction } from "./db";
import {
  DESTINO_PADRAO,
  carregarCatalogo,
  carregarEstados,
  garantirRotulos,
  gravarPedidos,
  inserirPessoas,
  type Destino,
  type Lote,
} from "./carga";
import { Planejador, instantesDeVenda, novoEstado, type PedidoPlanejado } from "./planejador";
import { ErroDeUso } from "./erros";
import { geradorDePessoas } from "./pessoas";

export interface Totais {
  pedidos: number;
  itens: number;
  fraudes: number;
  pessoasNovas: number;
  segundos: number;
}

export interface Progresso extends Totais {
  pedidosPorSegundo: number;
}

interface Comum {
  seed?: number;
  taxaFraude?: number;
  destino?: Destino;
  /** Checked after each committed transaction: true stops cleanly. */
  deveParar?: () => boolean;
  aoProgredir?: (p: Progresso) => void;
}

export interface OpcoesHistorico extends Comum {
  pedidos: number;
  dias?: number;
  /** Orders per transaction. */
  lote?: number;
  /** End of the window (default: now). */
  ate?: Date;
}

export interface OpcoesStreaming extends Comum {
  /** Stop after this many ticks (unbounded when neither ticks nor duracaoMs is given). */
  ticks?: number;
  duracaoMs?: number;
  intervaloMs?: number;
  pessoasPorTick?: number;
  pedidosPorTick?: number;
}

function exigirInteiro(nome: string, valor: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (valor === undefined) return;
  if (!Number.isInteger(valor) || valor < min || valor > max) {
    throw new ErroDeUso(`${nome} inválido: ${valor}. Esperado um inteiro entre ${min} e ${max}.`);
  }
}

function exigirTaxa(valor: number | undefined): void {
  if (valor !== undefined && !(valor >= 0 && valor <= 1)) {
    throw new ErroDeUso(`Taxa de fraude inválida: ${valor}. Esperado um número entre 0 e 1 (ex.: 0.01 para 1%).`);
  }
}

/** A connected OLTP client, or an ErroServicoFora naming the server that could not be reached. */
export const conectarOltp = (): Promise<pg.Client> => connect("oltp");

async function prepararPlanejador(client: pg.Client, destino: Destino, taxa: number, seed: number): Promise<Planejador> {
  await garantirRotulos(client, destino);
  const produtos = await carregarCatalogo(client, destino);
  if (produtos.length === 0) throw new ErroDeUso("O catálogo está vazio: aplique o modelo (notebook 01 ou `npm run stack -- up`).");
  return new Planejador(produtos, await carregarEstados(client, destino), taxa, seed);
}

function somar(totais: Totais, lote: Lote): void {
  totais.pedidos += lote.pedidos;
  totais.itens += lote.itens;
  totais.fraudes += lote.fraudes;
}

function progresso(t: Totais, inicio: number): Progresso {
  const segundos = (Date.now() - inicio) / 1000;
  return { ...t, segundos, pedidosPorSegundo: segundos > 0 ? t.pedidos / segundos : 0 };
}

/** Tops the people table up to `total` (idempotent: a second call adds nobody). */
export async function garantirPessoas(total: number, seed = 1, destino: Destino = DESTINO_PADRAO): Promise<number> {
  exigirInteiro("Total de pessoas", total, 0, 10_000_000);
  const client = await conectarOltp();
  try {
    const tabela = `${client.escapeIdentifier(destino.oltp)}.pessoas`;
    let existentes = Number((await client.query(`SELECT count(*) AS n FROM ${tabela}`)).rows[0].n);
    const gerador = geradorDePessoas(seed);
    let novas = 0;
    while (existentes < total) {
      const lote = Array.from({ length: Math.min(5000, total - existentes) }, () => gerador.proxima());
      const inseridas = (await inserirPessoas(client, lote, destino)).length;
      existentes += inseridas;
      novas += inseridas;
    }
    return novas;
  } finally {
    await client.end();
  }
}

interface Execucao {
  client: pg.Client;
  planejador: Planejador;
  destino: Destino;
  seed: number;
  totais: Totais;
  inicio: number;
}

/** The frame both generators share: one connection, the planner, running totals, progress. */
async function executarGerador(opts: Comum, taxaPadrao: number, trabalho: (e: Execucao) => Promise<void>): Promise<Progresso> {
  const destino = opts.destino ?? DESTINO_PADRAO;
  const seed = opts.seed ?? Date.now();
  const client = await conectarOltp();
  const inicio = Date.now();
  const totais: Totais = { pedidos: 0, itens: 0, fraudes: 0, pessoasNovas: 0, segundos: 0 };
  try {
    const planejador = await prepararPlanejador(client, destino, opts.taxaFraude ?? taxaPadrao, seed);
    await trabalho({ client, planejador, destino, seed, totais, inicio });
    return progresso(totais, inicio);
  } finally {
    await client.end();
  }
}

/** Past orders over the last `dias` days for the people who already exist. */
export async function gerarHistorico(opts: OpcoesHistorico): Promise<Progresso> {
  exigirInteiro("Número de pedidos", opts.pedidos, 1, 100_000_000);
  exigirInteiro("Janela em dias", opts.dias, 1, 3650);
  exigirInteiro("Tamanho do lote", opts.lote, 1, 100_000);
  exigirTaxa(opts.taxaFraude);
  return executarGerador(opts, 0.01, async ({ client, planejador, destino, seed, totais, inicio }) => {
    if (planejador.pessoas === 0) {
      throw new ErroDeUso("Não há pessoas cadastradas: o histórico não cria pessoas. Rode antes `npm run pessoas -- --total 1000`.");
    }
    const instantes = instantesDeVenda(opts.pedidos, opts.dias ?? 180, opts.ate ?? new Date(), seed);
    const tamanho = opts.lote ?? 5000;
    const planejar = (): PedidoPlanejado[] => {
      const lote: PedidoPlanejado[] = [];
      for (let r = instantes.next(); !r.done; r = instantes.next()) {
        lote.push(planejador.pedido(planejador.sortearPessoa(), r.value));
        if (lote.length === tamanho) break;
      }
      return lote;
    };
    // The next batch is planned while PostgreSQL checks this one's keys (gravarPedidos' hook).
    let atual = planejar();
    while (atual.length > 0) {
      let proximo: PedidoPlanejado[] = [];
      somar(totais, await inTransaction(client, () => gravarPedidos(client, atual, destino, () => (proximo = planejar()))));
      opts.aoProgredir?.(progresso(totais, inicio));
      if (opts.deveParar?.()) break;
      atual = proximo;
    }
  });
}

/** Orders happening now: every tick adds new people, then orders from anyone. */
export async function gerarStreaming(opts: OpcoesStreaming = {}): Promise<Progresso> {
  exigirInteiro("Número de ticks", opts.ticks, 1);
  exigirInteiro("Duração (ms)", opts.duracaoMs, 1);
  exigirInteiro("Intervalo (ms)", opts.intervaloMs, 0, 3_600_000);
  exigirInteiro("Pessoas por tick", opts.pessoasPorTick, 0, 100_000);
  exigirInteiro("Pedidos por tick", opts.pedidosPorTick, 0, 100_000);
  exigirTaxa(opts.taxaFraude);
  const intervalo = opts.intervaloMs ?? 5000;
  return executarGerador(opts, 0.05, async ({ client, planejador, destino, seed, totais, inicio }) => {
    const pessoas = geradorDePessoas(seed);
    const acabou = () =>
      (opts.ticks !== undefined && tick >= opts.ticks) ||
      (opts.duracaoMs !== undefined && Date.now() - inicio >= opts.duracaoMs) ||
      (opts.deveParar?.() ?? false);
    let tick = 0;
    while (!acabou()) {
      const novas = await inTransaction(client, async () => {
        const inseridas = await inserirPessoas(
          client,
          Array.from({ length: opts.pessoasPorTick ?? 10 }, () => pessoas.proxima()),
          destino,
        );
        const pedidos: PedidoPlanejado[] = [];
        for (const pessoa of inseridas) planejador.adicionar(novoEstado(pessoa));
        if (planejador.pessoas > 0) {
          for (let i = 0; i < (opts.pedidosPorTick ?? 10); i++) pedidos.push(planejador.pedido(planejador.sortearPessoa(), new Date()));
        }
        somar(totais, await gravarPedidos(client, pedidos, destino));
        return inseridas.length;
      });
      totais.pessoasNovas += novas;
      tick++;
      opts.aoProgredir?.(progresso(totais, inicio));
      // Sleep until the next tick, waking early to stop.
      const acordar = Date.now() + intervalo;
      while (Date.now() < acordar && !acabou()) await new Promise((r) => setTimeout(r, Math.min(100, acordar - Date.now())));
    }
  });
}
