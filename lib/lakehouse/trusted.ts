// The trusted layer: one table per OLTP table holding its current state — the CDC events of
// raw collapsed to the last one per key, deletes applied, through MERGE — with typed columns,
// quality rules and pseudonymized personal data.
//
// Watermark, in the table itself: every trusted row carries the Kafka partition and offset of
// the event that wrote it (_kafka_particao, _kafka_offset). A build promotes the raw events
// after the greatest offset stored per partition. Why that is exact: a key's events always sit
// in one partition, in order; an upsert that was promoted and is still the key's last event is
// in the table, so its offset is ≤ the watermark. What comes back after the watermark is only
// new events, or deletes / quarantined rows (which leave no row behind) — and re-applying
// those changes nothing, so no commit is written. Rows that fail a rule go to the quarantine
// table (dedup by partition and offset) and leave trusted: trusted holds only valid rows.
import { FORA_DO_BRASIL, ufDoGeohash } from "../geo";
import { TABELAS_CAPTURADAS, decodificar, decodificarChave, linhaDoEvento, type EventoCdc } from "../cdc/index";
import type { Linha, TabelaDelta } from "../lake/index";
import { jsonSeguro, lerColunas, pseudonimizar, segredoPseudonimo, tabela, type Dominio, type OpcoesLakehouse } from "./comum";
import { tabelaRawCdc } from "./raw";

export type TabelaOltp = (typeof TABELAS_CAPTURADAS)[number];

interface Definicao {
  chaves: string[];
  colunas: Record<string, string>;
  /** Columns replaced by their pseudonym, and the domain of each. */
  pseudonimos?: Record<string, Dominio>;
  /** Foreign keys that must not be null. */
  referencias?: string[];
}

const CARIMBOS = { created_at: "timestamp", updated_at: "timestamp" };

export const DEFINICOES: Record<TabelaOltp, Definicao> = {
  categorias: { chaves: ["id"], colunas: { id: "integer", descricao: "string", ...CARIMBOS } },
  produtos: {
    chaves: ["id"],
    colunas: { id: "integer", id_categoria: "integer", descricao: "string", valor_unit: "decimal(10,2)", ...CARIMBOS },
    referencias: ["id_categoria"],
  },
  pessoas: {
    chaves: ["id"],
    colunas: { id: "string", nome: "string", sexo: "string", dt_nasc: "date", ...CARIMBOS },
    pseudonimos: { id: "pessoa", nome: "nome" },
  },
  pedidos: {
    chaves: ["id"],
    colunas: { id: "long", id_pessoa: "string", dt_venda: "timestamp", valor_total: "decimal(12,2)", ...CARIMBOS },
    pseudonimos: { id_pessoa: "pessoa" },
    referencias: ["id_pessoa"],
  },
  itens_pedidos: {
    chaves: ["id_pedido", "id_produto"],
    colunas: { id_pedido: "long", id_produto: "integer", qtde: "integer", valor_total: "decimal(12,2)", ...CARIMBOS },
  },
  auditoria_pedidos: {
    chaves: ["id_pedido"],
    colunas: { id_pedido: "long", dispositivo: "string", geohash: "string", uf: "string", telefone: "string", ...CARIMBOS },
    pseudonimos: { telefone: "telefone" },
  },
};

const META = { _kafka_particao: "integer", _kafka_offset: "long", _op: "string", _ts_evento: "timestamp", _promovido_em: "timestamp" };

const ESQUEMA_QUARENTENA = {
  tabela: "string not null",
  kafka_particao: "integer not null",
  kafka_offset: "long not null",
  /** The row's key (pseudonymized), as JSON. */
  chave: "string",
  regra: "string not null",
  motivo: "string not null",
  op: "string",
  /** The row as it would enter trusted (pseudonymized), as JSON. */
  dados: "string",
  quarentenado_em: "timestamp not null",
};

export function tabelaTrusted(nome: string, raiz?: string): TabelaDelta {
  return tabela("trusted", nome, raiz);
}

export function tabelaQuarentena(raiz?: string): TabelaDelta {
  return tabela("trusted", "quarentena", raiz);
}

export interface OpcoesTrusted extends OpcoesLakehouse {
  /** Raw events read per slice when catching up (default 50 000); the MERGE is one per build. */
  lote?: number;
  /** "Now" for the date rules (tests). */
  agora?: Date;
  aoProgredir?: (texto: string) => void;
}

export interface ResultadoTrustedTabela {
  tabela: string;
  url: string;
  eventos: number;
  inseridas: number;
  atualizadas: number;
  excluidas: number;
  quarentena: number;
  commits: number;
  versao: number;
  /** Created by this run (an empty first version). */
  criada?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Quality rules

export interface Falha {
  regra: "chave nula" | "UF desconhecida" | "data impossível" | "total não confere" | "valor inválido";
  motivo: string;
}

const DIA_MS = 86_400_000;

function instante(v: unknown): number | undefined {
  if (v === null || v === undefined) return undefined;
  const t = typeof v === "number" ? v : Date.parse(String(v));
  return Number.isNaN(t) ? undefined : t;
}

/** Exact cents of a decimal text ("12.30", "7", "-0.5"); undefined when not a number. */
export function centavos(v: unknown): bigint | undefined {
  if (v === null || v === undefined) return undefined;
  const m = /^(-)?(\d+)(?:\.(\d{0,2})\d*)?$/.exec(String(v).trim());
  if (!m) return undefined;
  const c = BigInt(m[2]!) * 100n + BigInt((m[3] ?? "").padEnd(2, "0"));
  return m[1] ? -c : c;
}

const fmtCentavos = (c: bigint) =>
  `${c < 0n ? "-" : ""}${(c < 0n ? -c : c) / 100n}.${((c < 0n ? -c : c) % 100n).toString().padStart(2, "0")}`;

interface Contexto {
  agora: number;
  /** Unit price in cents of each product in trusted (after produtos was promoted). */
  precos: Map<number, bigint>;
}

/** The rules a row (the source image, before pseudonymization) must pass; the first failure wins. */
export function verificar(nome: TabelaOltp, r: Record<string, unknown>, ctx: Contexto): Falha | undefined {
  const def = DEFINICOES[nome];
  for (const c of [...def.chaves, ...(def.referencias ?? [])]) {
    if (r[c] === null || r[c] === undefined) return { regra: "chave nula", motivo: `a coluna ${c} (chave) está nula` };
  }
  const futuro = ctx.agora + DIA_MS;
  for (const c of ["created_at", "updated_at"]) {
    const t = instante(r[c]);
    if (r[c] !== null && r[c] !== undefined && (t === undefined || t > futuro || t < Date.UTC(1990, 0, 1))) {
      return { regra: "data impossível", motivo: `${c}=${String(r[c])} fora de 1990 … amanhã` };
    }
  }
  if (nome === "pessoas") {
    const t = instante(r.dt_nasc);
    if (t === undefined || t < Date.UTC(1900, 0, 1) || t > ctx.agora)
      return { regra: "data impossível", motivo: `dt_nasc=${String(r.dt_nasc)} fora de 1900-01-01 … hoje` };
  }
  if (nome === "pedidos") {
    const t = instante(r.dt_venda);
    if (t === undefined || t < Date.UTC(2000, 0, 1) || t > futuro)
      return { regra: "data impossível", motivo: `dt_venda=${String(r.dt_venda)} fora de 2000-01-01 … amanhã` };
    const v = centavos(r.valor_total);
    if (v === undefined || v < 0n) return { regra: "valor inválido", motivo: `valor_total=${String(r.valor_total)} não é um valor ≥ 0` };
  }
  if (nome === "itens_pedidos") {
    const q = r.qtde;
    if (typeof q !== "number" || !Number.isInteger(q) || q <= 0)
      return { regra: "valor inválido", motivo: `qtde=${String(q)} não é um inteiro > 0` };
    const v = centavos(r.valor_total);
    if (v === undefined || v < 0n) return { regra: "valor inválido", motivo: `valor_total=${String(r.valor_total)} não é um valor ≥ 0` };
    const preco = ctx.precos.get(Number(r.id_produto));
    if (preco !== undefined && v !== preco * BigInt(q)) {
      return {
        regra: "total não confere",
        motivo: `valor_total=${fmtCentavos(v)} ≠ qtde × valor_unit = ${q} × ${fmtCentavos(preco)} = ${fmtCentavos(preco * BigInt(q))}`,
      };
    }
  }
  if (nome === "auditoria_pedidos") {
    try {
      const uf = ufDoGeohash(String(r.geohash));
      if (!uf) throw new Error("sem UF");
    } catch {
      return { regra: "UF desconhecida", motivo: `não há UF para o geohash ${JSON.stringify(r.geohash)}` };
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Promotion

/** The typed, pseudonymized row of trusted (without the meta columns). */
function linhaTrusted(nome: TabelaOltp, r: Record<string, unknown>, segredo: string): Record<string, unknown> {
  const def = DEFINICOES[nome];
  const out: Record<string, unknown> = {};
  for (const c of Object.keys(def.colunas)) out[c] = r[c] ?? null;
  if (nome === "auditoria_pedidos") {
    let uf: string | null = null;
    try {
      uf = ufDoGeohash(String(r.geohash));
    } catch {
      uf = null;
    }
    out.uf = uf === FORA_DO_BRASIL ? FORA_DO_BRASIL : uf;
  }
  for (const [c, dom] of Object.entries(def.pseudonimos ?? {})) out[c] = pseudonimizar(segredo, dom, r[c]);
  return out;
}

/** Greatest offset per partition among the rows of a trusted table. */
async function marcas(t: TabelaDelta): Promise<Map<number, bigint>> {
  const m = new Map<number, bigint>();
  const inst = await t.instantaneo();
  if (inst.arquivos.size === 0) return m;
  const [ps, os] = (await lerColunas(t, ["_kafka_particao", "_kafka_offset"])) as [ArrayLike<number>, ArrayLike<bigint>];
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i]!;
    const o = os[i]!;
    if (!m.has(p) || o > m.get(p)!) m.set(p, o);
  }
  return m;
}

interface EventoRaw {
  particao: number;
  offset: bigint;
  chave: string | null;
  payload: string | null;
}

/** Creates the trusted tables that do not exist yet; returns the names created. */
async function garantirTabelas(raiz: string | undefined): Promise<Set<string>> {
  const criadas = new Set<string>();
  for (const nome of TABELAS_CAPTURADAS) {
    const def = DEFINICOES[nome];
    if (!(await tabelaTrusted(nome, raiz).existe())) criadas.add(nome);
    await tabelaTrusted(nome, raiz).criar({
      esquema: { ...def.colunas, ...META },
      nome: `trusted_${nome}`,
      descricao: `Estado atual de ${nome} (CDC colapsado por chave, exclusões aplicadas, dados pessoais pseudonimizados).`,
      configuracao: { "liga.trusted.origem": `raw/cdc/${nome}`, "liga.trusted.chaves": def.chaves.join(",") },
      seExistir: "ignorar",
    });
  }
  await tabelaQuarentena(raiz).criar({
    esquema: ESQUEMA_QUARENTENA,
    particionarPor: ["tabela"],
    nome: "trusted_quarentena",
    descricao: "Linhas reprovadas pelas regras de qualidade, com o motivo (dados pessoais pseudonimizados).",
    configuracao: { "delta.appendOnly": "true" },
    seExistir: "ignorar",
  });
  return criadas;
}

async function precosDosProdutos(raiz: string | undefined): Promise<Map<number, bigint>> {
  const precos = new Map<number, bigint>();
  for (const l of await tabelaTrusted("produtos", raiz).linhas({ colunas: ["id", "valor_unit"] })) {
    const c = centavos(l.valor_unit);
    if (c !== undefined) precos.set(Number(l.id), c);
  }
  return precos;
}

/** Promotes one table's raw events not yet in trusted. */
async function promoverTabela(nome: TabelaOltp, opcoes: OpcoesTrusted, segredo: string, ctx: Contexto): Promise<ResultadoTrustedTabela> {
  const def = DEFINICOES[nome];
  const raw = tabelaRawCdc(nome, opcoes.raiz);
  const destino = tabelaTrusted(nome, opcoes.raiz);
  const quarentena = tabelaQuarentena(opcoes.raiz);
  const res: ResultadoTrustedTabela = {
    tabela: nome,
    url: destino.url,
    eventos: 0,
    inseridas: 0,
    atualizadas: 0,
    excluidas: 0,
    quarentena: 0,
    commits: 0,
    versao: (await destino.instantaneo()).versao,
  };
  if (!(await raw.existe())) return res;
  const w = await marcas(destino);
  // Partitions of the topic (recorded when the raw table was created); one with no row in
  // trusted yet starts from -1.
  const particoes = Object.keys(
    JSON.parse((await raw.instantaneo()).metadata.configuration["liga.cdc.posicaoInicial"] ?? "{}") as object,
  ).map(Number);
  // biome-ignore lint/complexity/useMathMinMax: bigint offsets; Math.min takes numbers only
  const minimo = particoes.length && particoes.every((p) => w.has(p)) ? [...w.values()].reduce((a, b) => (b < a ? b : a)) : -1n;
  const depois = (p: number, o: bigint) => o > (w.get(p) ?? -1n);
  // Offsets waiting, read in slices of `lote` events (payloads are large) and folded into the
  // last event per key; written (quarantine append, upsert MERGE, delete MERGE) every
  // CHAVES_POR_MERGE keys and at the end.
  const [ps, os] = (await lerColunas(raw, ["kafka_particao", "kafka_offset"], [["kafka_offset", ">", minimo]])) as [
    ArrayLike<number>,
    ArrayLike<bigint>,
  ];
  const pendentes: bigint[] = [];
  for (let i = 0; i < ps.length; i++) if (depois(ps[i]!, os[i]!)) pendentes.push(os[i]!);
  pendentes.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (pendentes.length === 0) return res;
  const jaEmQuarentena = new Set(
    (await quarentena.linhas({ colunas: ["kafka_particao", "kafka_offset"], onde: [["tabela", "=", nome]] })).map(
      (l) => `${l.kafka_particao}:${l.kafka_offset}`,
    ),
  );
  const acumulado: Acumulado = { nome, def, segredo, ctx, jaEmQuarentena, ultimos: new Map(), quarentena: [], agora: new Date() };
  const lote = opcoes.lote ?? 50_000;
  let lo = minimo;
  for (let i = 0; i < pendentes.length; i += lote) {
    const hi = pendentes[Math.min(i + lote, pendentes.length) - 1]!;
    const linhas = (
      await raw.linhas({
        colunas: ["kafka_particao", "kafka_offset", "kafka_chave", "payload"],
        onde: [
          ["kafka_offset", ">", lo],
          ["kafka_offset", "<=", hi],
        ],
      })
    )
      .map(
        (l): EventoRaw => ({
          particao: l.kafka_particao as number,
          offset: l.kafka_offset as bigint,
          chave: l.kafka_chave as string | null,
          payload: l.payload as string | null,
        }),
      )
      .filter((e) => depois(e.particao, e.offset))
      .sort((a, b) => a.particao - b.particao || (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
    lo = hi;
    res.eventos += linhas.length;
    acumular(linhas, acumulado);
    opcoes.aoProgredir?.(`trusted/${nome}: ${res.eventos} eventos lidos`);
    // Bounded memory: write what was folded so far. Later events of the same keys simply
    // update again (slices are applied in offset order).
    if (acumulado.ultimos.size >= CHAVES_POR_MERGE) await aplicar(acumulado, { destino, quarentena, res });
  }
  await aplicar(acumulado, { destino, quarentena, res });
  res.versao = (await destino.instantaneo()).versao;
  return res;
}

interface Ultimo {
  particao: number;
  offset: bigint;
  op: string;
  tsMs: number;
  chave: Record<string, unknown>;
  /** The trusted row (pseudonymized); null for a delete. */
  linha: Record<string, unknown> | null;
  falha?: Falha;
}

interface Acumulado {
  nome: TabelaOltp;
  def: Definicao;
  segredo: string;
  ctx: Contexto;
  jaEmQuarentena: Set<string>;
  /** The last event per key, in offset order within each partition (a key lives in one partition). */
  ultimos: Map<string, Ultimo>;
  quarentena: Linha[];
  agora: Date;
}

function paraQuarentena(
  x: Acumulado,
  particao: number,
  offset: bigint,
  falha: Falha,
  chave: Record<string, unknown> | null,
  dados: Record<string, unknown> | null,
  op: string | null,
): void {
  const k = `${particao}:${offset}`;
  if (x.jaEmQuarentena.has(k)) return;
  x.jaEmQuarentena.add(k);
  x.quarentena.push({
    tabela: x.nome,
    kafka_particao: particao,
    kafka_offset: offset,
    chave: chave ? jsonSeguro(chave) : null,
    regra: falha.regra,
    motivo: falha.motivo,
    op,
    dados: dados ? jsonSeguro(dados) : null,
    quarentenado_em: x.agora,
  });
}

/** Folds a slice of raw events (in offset order per partition) into the last state per key. */
function acumular(eventos: EventoRaw[], x: Acumulado): void {
  const def = x.def;
  for (const e of eventos) {
    if (!e.payload) continue; // tombstone: the delete before it already says it all
    let ev: EventoCdc<Record<string, unknown>> | null;
    try {
      ev = decodificar<Record<string, unknown>>(e.payload);
    } catch (err) {
      paraQuarentena(
        x,
        e.particao,
        e.offset,
        { regra: "valor inválido", motivo: `mensagem ilegível: ${(err as Error).message.slice(0, 200)}` },
        null,
        null,
        null,
      );
      continue;
    }
    if (!ev || ev.op === "t") continue; // truncates are skipped by the connector's default config
    const bruta = linhaDoEvento(ev, decodificarChave(e.chave)) ?? {};
    const linha = linhaTrusted(x.nome, bruta, x.segredo);
    const chave = Object.fromEntries(def.chaves.map((c) => [c, linha[c]]));
    if (def.chaves.some((c) => bruta[c] === null || bruta[c] === undefined)) {
      paraQuarentena(
        x,
        e.particao,
        e.offset,
        { regra: "chave nula", motivo: `a coluna ${def.chaves.find((c) => bruta[c] == null)} (chave) está nula` },
        chave,
        ev.op === "d" ? null : linha,
        ev.op,
      );
      continue;
    }
    const k = jsonSeguro(def.chaves.map((c) => chave[c]));
    x.ultimos.set(k, {
      particao: e.particao,
      offset: e.offset,
      op: ev.op,
      tsMs: ev.ts_ms,
      chave,
      linha: ev.op === "d" ? null : linhaTrusted(x.nome, ev.after ?? {}, x.segredo),
      falha: ev.op === "d" ? undefined : verificar(x.nome, bruta, x.ctx),
    });
  }
}

/** Distinct keys folded before a write: bounds the memory of a first build over millions of events. */
const CHAVES_POR_MERGE = 300_000;

/** Writes what was folded (quarantine first, then one upsert MERGE and one delete MERGE) and starts over. */
async function aplicar(x: Acumulado, alvo: { destino: TabelaDelta; quarentena: TabelaDelta; res: ResultadoTrustedTabela }): Promise<void> {
  const upserts: Linha[] = [];
  const exclusoes: Linha[] = [];
  for (const u of x.ultimos.values()) {
    if (!u.linha) {
      exclusoes.push(u.chave);
      continue;
    }
    if (u.falha) {
      paraQuarentena(x, u.particao, u.offset, u.falha, u.chave, u.linha, u.op);
      // Its current state is invalid: the old version leaves trusted too (it would be stale).
      exclusoes.push(u.chave);
      continue;
    }
    upserts.push({
      ...u.linha,
      _kafka_particao: u.particao,
      _kafka_offset: u.offset,
      _op: u.op,
      _ts_evento: new Date(u.tsMs),
      _promovido_em: x.agora,
    });
  }
  const { destino, quarentena, res } = alvo;
  const quarentenaNova = x.quarentena;
  x.ultimos = new Map();
  x.quarentena = [];
  // Quarantine first: if the MERGE fails, the rerun finds these rows there and skips them.
  if (quarentenaNova.length) {
    await quarentena.anexar(quarentenaNova);
    res.quarentena += quarentenaNova.length;
    res.commits++;
  }
  if (upserts.length) {
    const r = await destino.mesclar(upserts, { chaves: x.def.chaves, quandoCorresponder: "atualizar", quandoNaoCorresponder: "inserir" });
    res.inseridas += r.linhasInseridas;
    res.atualizadas += r.linhasAtualizadas;
    if (r.tentativas > 0) res.commits++;
  }
  if (exclusoes.length) {
    const r = await destino.mesclar(exclusoes, { chaves: x.def.chaves, quandoCorresponder: "excluir", quandoNaoCorresponder: "ignorar" });
    res.excluidas += r.linhasExcluidas;
    if (r.tentativas > 0) res.commits++;
  }
}

/** Promotes raw → trusted for the six OLTP tables (catalog first: items are checked against prices). */
export async function promoverTrusted(opcoes: OpcoesTrusted = {}): Promise<ResultadoTrustedTabela[]> {
  const segredo = segredoPseudonimo(opcoes);
  const criadas = await garantirTabelas(opcoes.raiz);
  const ordem: TabelaOltp[] = ["categorias", "produtos", "pessoas", "pedidos", "itens_pedidos", "auditoria_pedidos"];
  const ctx: Contexto = { agora: (opcoes.agora ?? new Date()).getTime(), precos: new Map() };
  const out: ResultadoTrustedTabela[] = [];
  for (const nome of ordem) {
    if (nome === "itens_pedidos") ctx.precos = await precosDosProdutos(opcoes.raiz);
    out.push({ ...(await promoverTabela(nome, opcoes, segredo, ctx)), ...(criadas.has(nome) ? { criada: true } : {}) });
  }
  return out;
}
