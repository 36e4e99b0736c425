// The order planner: who buys what, when, from where and on which device — and which orders
// are fraud. Pure and in memory (no database): lib/carga.ts writes what it plans.
//
// Fraud is injected so that the ground truth is exact:
// - "dispositivo": a device the person never used in ANY order (earlier or later), on an order
//   placed strictly after the person's first order — so it breaks the device rule and no
//   other order's status changes;
// - "local": a geohash outside SP/MG/RJ (other states or abroad), on the usual device.
// Every other order uses the person's usual device and a geohash near home (inside SP/MG/RJ),
// so it breaks no rule: a person's earliest order always uses the usual device.
import { LUGARES_FORA, geohashesPerto, type Lugar } from "./geo";
import { DISPOSITIVOS, perfilDe, type Perfil, type Pessoa } from "./pessoas";
import { criarRng, escolher, inteiro, semente, type Rng } from "./random";

export type TipoFraude = "dispositivo" | "local";

export interface Produto {
  id: number;
  id_categoria: number;
  /** Unit price in cents: money is integer arithmetic until it is written. */
  centavos: number;
}

export interface EstadoPessoa {
  pessoa: Pessoa;
  perfil: Perfil;
  /** Epoch ms of the person's first order, if any (database and this run). */
  primeiraVenda?: number;
  /** Every device the person used in any order. */
  usados: Set<string>;
  /** Relative purchase frequency: a few people buy a lot, most buy a little. */
  peso: number;
}

export interface ItemPlanejado {
  id_produto: number;
  qtde: number;
  centavos: number;
}

export interface PedidoPlanejado {
  id_pessoa: number;
  dt_venda: Date;
  centavos: number;
  itens: ItemPlanejado[];
  dispositivo: string;
  geohash: string;
  telefone: string;
  fraude?: TipoFraude;
}

/** "289.58" → 28958, exactly (no floating point). */
export function paraCentavos(valor: string | number): number {
  const [inteiros, frac = ""] = String(valor).split(".");
  return Number(inteiros) * 100 + Number(`${frac}00`.slice(0, 2));
}

export function formatarCentavos(centavos: number): string {
  const s = String(centavos).padStart(3, "0");
  return `${s.slice(0, -2)}.${s.slice(-2)}`;
}

export function novoEstado(pessoa: Pessoa, primeiraVenda?: number, usados: Iterable<string> = []): EstadoPessoa {
  const rng = criarRng(semente("frequencia", pessoa.id));
  // Log-normal activity: median 1, long tail of frequent buyers.
  const normal = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  return { pessoa, perfil: perfilDe(pessoa), primeiraVenda, usados: new Set(usados), peso: Math.exp(0.8 * normal) };
}

const POOL = 400;

export class Planejador {
  private readonly porCategoria = new Map<number, Produto[]>();
  /** Products a segment buys from, by category list (a handful of distinct lists). */
  private readonly porSegmento = new Map<string, Produto[]>();
  private readonly geohashes = new Map<Lugar, string[]>();
  private readonly rng: Rng;
  private estados: EstadoPessoa[] = [];
  private acumulado: number[] = [];

  constructor(
    produtos: readonly Produto[],
    estados: Iterable<EstadoPessoa>,
    readonly taxaFraude: number,
    seed: number,
  ) {
    for (const p of produtos) this.porCategoria.set(p.id_categoria, [...(this.porCategoria.get(p.id_categoria) ?? []), p]);
    this.rng = criarRng(semente("pedidos", seed));
    for (const e of estados) this.adicionar(e);
  }

  get pessoas(): number {
    return this.estados.length;
  }

  adicionar(estado: EstadoPessoa): void {
    this.estados.push(estado);
    this.acumulado.push((this.acumulado[this.acumulado.length - 1] ?? 0) + estado.peso);
  }

  /** A person drawn by purchase frequency. */
  sortearPessoa(): EstadoPessoa {
    const alvo = this.rng() * this.acumulado[this.acumulado.length - 1];
    let lo = 0;
    let hi = this.acumulado.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.acumulado[mid] > alvo) hi = mid;
      else lo = mid + 1;
    }
    return this.estados[lo];
  }

  private geohashEm(lugar: Lugar): string {
    let pool = this.geohashes.get(lugar);
    if (!pool) {
      pool = geohashesPerto(lugar, POOL, criarRng(semente("geohash", lugar.nome, lugar.lat, lugar.lon)));
      this.geohashes.set(lugar, pool);
    }
    return escolher(this.rng, pool);
  }

  private itens(estado: EstadoPessoa): ItemPlanejado[] {
    const chave = estado.perfil.categorias.join(",");
    let produtos = this.porSegmento.get(chave);
    if (!produtos) {
      produtos = estado.perfil.categorias.flatMap((c) => this.porCategoria.get(c) ?? []);
      if (produtos.length === 0) throw new Error(`Nenhum produto nas categorias ${chave}.`);
      this.porSegmento.set(chave, produtos);
    }
    // 1–5 distinct products: rejection sampling beats shuffling a copy when k ≪ n.
    const k = inteiro(this.rng, 1, Math.min(5, produtos.length));
    const escolhidos: number[] = [];
    while (escolhidos.length < k) {
      const i = Math.floor(this.rng() * produtos.length);
      if (!escolhidos.includes(i)) escolhidos.push(i);
    }
    return escolhidos.map((i) => {
      const p = produtos![i];
      const sorte = this.rng();
      const qtde = sorte < 0.75 ? 1 : sorte < 0.93 ? 2 : 3;
      return { id_produto: p.id, qtde, centavos: p.centavos * qtde };
    });
  }

  /** One order of `estado` at `dtVenda`, fraud drawn at the planner's rate; updates the person's state. */
  pedido(estado: EstadoPessoa, dtVenda: Date): PedidoPlanejado {
    const t = dtVenda.getTime();
    const itens = this.itens(estado);
    let dispositivo: string = estado.perfil.dispositivo;
    let geohash: string;
    let fraude: TipoFraude | undefined;
    if (this.rng() < this.taxaFraude) {
      const novos = DISPOSITIVOS.filter((d) => !estado.usados.has(d) && d !== estado.perfil.dispositivo);
      const temAnterior = estado.primeiraVenda !== undefined && estado.primeiraVenda < t;
      fraude = temAnterior && novos.length > 0 && this.rng() < 0.5 ? "dispositivo" : "local";
      if (fraude === "dispositivo") {
        dispositivo = escolher(this.rng, novos);
        geohash = this.geohashEm(estado.perfil.cidade);
      } else {
        geohash = this.geohashEm(escolher(this.rng, LUGARES_FORA));
      }
    } else {
      geohash = this.geohashEm(estado.perfil.cidade);
    }
    estado.usados.add(dispositivo);
    if (estado.primeiraVenda === undefined || t < estado.primeiraVenda) estado.primeiraVenda = t;
    return {
      id_pessoa: estado.pessoa.id,
      dt_venda: dtVenda,
      centavos: itens.reduce((s, i) => s + i.centavos, 0),
      itens,
      dispositivo,
      geohash,
      telefone: estado.perfil.telefone,
      fraude,
    };
  }
}

// Relative volume per weekday (Sunday first) and hour: weekends and evenings sell more.
const PESO_DIA_SEMANA = [1.2, 0.95, 0.9, 0.9, 0.95, 1.05, 1.25];
const PESO_HORA = [
  0.3, 0.15, 0.1, 0.1, 0.1, 0.15, 0.3, 0.6, 0.9, 1.1, 1.2, 1.3, 1.5, 1.4, 1.2, 1.1, 1.1, 1.2, 1.4, 1.7, 1.9, 1.8, 1.3, 0.7,
];
const DIA_MS = 86_400_000;

/**
 * `total` sale instants spread over the `dias` days before `fim`, in ascending order, day by
 * day (bounded memory): weekly shape, evening peaks, a gentle growth trend and a month-end bump.
 */
export function* instantesDeVenda(total: number, dias: number, fim: Date, seed: number): Generator<Date> {
  const rng = criarRng(semente("instantes", seed));
  const inicioDia = Math.floor(fim.getTime() / DIA_MS) * DIA_MS - (dias - 1) * DIA_MS;
  const pesos = Array.from({ length: dias }, (_, d) => {
    const dia = new Date(inicioDia + d * DIA_MS);
    const fimDeMes = dia.getUTCDate() >= 28 || dia.getUTCDate() <= 2 ? 1.15 : 1;
    return PESO_DIA_SEMANA[dia.getUTCDay()] * (1 + (0.3 * d) / dias) * fimDeMes;
  });
  const soma = pesos.reduce((s, p) => s + p, 0);
  // Largest remainder: per-day counts that add up to exactly `total`.
  const exatos = pesos.map((p) => (p / soma) * total);
  const contagens = exatos.map(Math.floor);
  const ordem = exatos.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0]);
  const faltam = total - contagens.reduce((s, c) => s + c, 0);
  for (let k = 0; k < faltam; k++) contagens[ordem[k][1]]++;
  const somaHoras = PESO_HORA.reduce((s, p) => s + p, 0);
  for (let d = 0; d < dias; d++) {
    const instantes: number[] = [];
    for (let i = 0; i < contagens[d]; i++) {
      let alvo = rng() * somaHoras;
      let hora = 0;
      while (alvo >= PESO_HORA[hora] && hora < 23) alvo -= PESO_HORA[hora++];
      const comeco = inicioDia + d * DIA_MS;
      const t = comeco + hora * 3_600_000 + Math.floor(rng() * 3_600_000);
      // Today is cut at `fim`: a later instant is redrawn within what has passed of the day.
      instantes.push(t < fim.getTime() ? t : comeco + Math.floor(rng() * (fim.getTime() - comeco)));
    }
    instantes.sort((a, b) => a - b);
    for (const t of instantes) yield new Date(t);
  }
}
