// The raw layer: data exactly as it arrived, append-only, partitioned by ingestion date.
//   - CDC: every Debezium message of the six OLTP topics, the value kept verbatim (the JSON the
//     connector wrote, schema included) plus topic/partition/offset/key/op/timestamps. Where to
//     resume is the table itself: the greatest offset stored per Kafka partition (the offsets
//     commit atomically with the rows, so a crash never loses or duplicates a message), or, for
//     a table still empty, the start position recorded in its properties when it was created.
//   - DW: the star schema's rows (marts.*), extracted incrementally by each model's load
//     watermark. The watermark is a column of the rows themselves (_marca_us) plus the model's
//     key, so a run cut in the middle resumes exactly after the last row it stored.
// A run with nothing new writes no commit.
import { randomUUID } from "node:crypto";
import type { KafkaMessage } from "kafkajs";
import { TABELAS_CAPTURADAS, clienteKafka, posicoesFinais, posicoesIniciais, topicoDaTabela, topicosExistentes, type Posicoes } from "../cdc";
import { withClient } from "../db";
import { statsDe, type TabelaDelta } from "../lake/index";
import { diaUtc, lerColunas, tabela, type OpcoesLakehouse } from "./comum";

export const ESQUEMA_RAW_CDC = {
  kafka_topico: "string not null",
  kafka_particao: "integer not null",
  kafka_offset: "long not null",
  /** The message key as sent (JSON of the primary key), null for none. */
  kafka_chave: "string",
  kafka_ts: "timestamp",
  /** c, u, d, r, t — null for a tombstone. */
  op: "string",
  /** When Debezium processed the change (payload ts_ms). */
  ts_evento: "timestamp",
  /** The Kafka message value, verbatim (null for a tombstone). */
  payload: "string",
  ingerido_em: "timestamp not null",
  dt_ingestao: "date not null",
};

const PROP_POSICAO_INICIAL = "liga.cdc.posicaoInicial";
const PROP_TOPICO = "liga.cdc.topico";

export type InicioCdc = "inicio" | "fim";

export interface OpcoesRaw extends OpcoesLakehouse {
  /** Where a new CDC table starts: the oldest message kept by Kafka (default) or the current end. */
  inicioCdc?: InicioCdc;
  /** Per table, overriding inicioCdc (e.g. the small catalog from the start, the rest from the end). */
  inicioCdcPorTabela?: Partial<Record<string, InicioCdc>>;
  /** Messages per commit when catching up (default 20 000). */
  loteCdc?: number;
  /** Safety limit of one CDC read (default 30 min); what was read by then is kept, the rest waits for the next build. */
  timeoutCdcMs?: number;
  /** Where a new DW extract starts: every row (default) or only rows loaded from now on. */
  inicioDw?: "tudo" | "agora";
  /** Rows per commit of the DW extract (default 50 000). */
  loteDw?: number;
  /** Only these DW models (default: all of MODELOS_DW). */
  modelos?: string[];
  /** Skip a source. */
  semCdc?: boolean;
  semDw?: boolean;
  aoProgredir?: (texto: string) => void;
}

export interface ResultadoRawTabela {
  tabela: string;
  url: string;
  linhas: number;
  commits: number;
  versao: number;
  /** Why nothing was read, when so. */
  observacao?: string;
  /** Created by this run (an empty first version). */
  criada?: boolean;
}

export function tabelaRawCdc(nome: string, raiz?: string): TabelaDelta {
  return tabela("raw", `cdc/${nome}`, raiz);
}

export function tabelaRawDw(modelo: string, raiz?: string): TabelaDelta {
  return tabela("raw", `dw/${modelo}`, raiz);
}

/** Next offset to read per partition: greatest stored offset + 1, else the table's start position. */
export async function proximasPosicoes(t: TabelaDelta): Promise<Record<number, bigint>> {
  const inst = await t.instantaneo();
  const inicial = JSON.parse(inst.metadata.configuration[PROP_POSICAO_INICIAL] ?? "{}") as Record<string, string>;
  const prox: Record<number, bigint> = {};
  for (const [p, o] of Object.entries(inicial)) prox[Number(p)] = BigInt(o);
  if (inst.arquivos.size === 0) return prox;
  // The files are big (payloads): read only the offsets above a floor, from the newest files
  // by their stats, lowering the floor until every partition with rows was seen.
  let topo = -1n;
  for (const a of inst.arquivos.values()) {
    const v = statsDe(a)?.maxValues?.kafka_offset;
    if (typeof v !== "number") {
      topo = -1n; // a file without stats: read everything
      break;
    }
    if (BigInt(v) > topo) topo = BigInt(v);
  }
  const particoes = Object.keys(inicial).map(Number);
  for (let janela = 50_000n; ; janela *= 4n) {
    const piso = topo - janela;
    const [ps, os] = (await lerColunas(t, ["kafka_particao", "kafka_offset"], piso < 0n ? undefined : [["kafka_offset", ">", piso]])) as [ArrayLike<number>, ArrayLike<bigint>];
    const vistas = new Set<number>();
    for (let i = 0; i < ps.length; i++) {
      const p = ps[i]!;
      const o = os[i]! + 1n;
      vistas.add(p);
      if (prox[p] === undefined || o > prox[p]!) prox[p] = o;
    }
    if (piso < 0n || particoes.every((p) => vistas.has(p))) return prox;
  }
}

interface MensagemBruta {
  topico: string;
  particao: number;
  offset: bigint;
  m: KafkaMessage;
}

function linhaRaw(x: MensagemBruta, agora: Date): Record<string, unknown> {
  const valor = x.m.value && x.m.value.length ? x.m.value.toString("utf8") : null;
  let op: string | null = null;
  let ts: number | null = null;
  if (valor) {
    try {
      const j = JSON.parse(valor) as { payload?: { op?: string; ts_ms?: number } } & { op?: string; ts_ms?: number };
      const p = j && typeof j === "object" && "payload" in j ? j.payload : j;
      op = typeof p?.op === "string" ? p.op : null;
      ts = typeof p?.ts_ms === "number" ? p.ts_ms : null;
    } catch {
      // Kept verbatim anyway: raw never drops what arrived; trusted quarantines it.
    }
  }
  return {
    kafka_topico: x.topico,
    kafka_particao: x.particao,
    kafka_offset: x.offset,
    kafka_chave: x.m.key && x.m.key.length ? x.m.key.toString("utf8") : null,
    kafka_ts: x.m.timestamp ? new Date(Number(x.m.timestamp)) : null,
    op,
    ts_evento: ts === null ? null : new Date(ts),
    payload: valor,
    ingerido_em: agora,
    dt_ingestao: diaUtc(agora),
  };
}

/**
 * Appends to raw/cdc/<tabela> every message of the six topics from the offsets stored in each
 * table up to the end offsets seen at the start (bounded), in commits of `loteCdc` messages.
 */
export async function ingerirCdc(opcoes: OpcoesRaw = {}): Promise<ResultadoRawTabela[]> {
  const lote = opcoes.loteCdc ?? 20_000;
  const timeoutMs = opcoes.timeoutCdcMs ?? 30 * 60_000;
  // A topic appears with the connector's snapshot (lesson 04); before that there is nothing to read.
  const existentes = await topicosExistentes(TABELAS_CAPTURADAS.map(topicoDaTabela));
  const faltando: ResultadoRawTabela[] = TABELAS_CAPTURADAS.filter((n) => !existentes.has(topicoDaTabela(n))).map((n) => ({
    tabela: n,
    url: tabelaRawCdc(n, opcoes.raiz).url,
    linhas: 0,
    commits: 0,
    versao: -1,
    observacao: `o tópico ${topicoDaTabela(n)} não existe: o conector do Debezium ainda não foi registrado (notebook 04_cdc)`,
  }));
  const nomes = TABELAS_CAPTURADAS.filter((n) => existentes.has(topicoDaTabela(n)));
  const topicos = nomes.map(topicoDaTabela);
  if (topicos.length === 0) return faltando;
  const fins = await posicoesFinais(topicos);
  const tabelas = new Map<string, TabelaDelta>();
  const desde: Posicoes = {};
  const resultados = new Map<string, ResultadoRawTabela>();
  let iniciais: Posicoes | undefined;
  for (const [i, nome] of nomes.entries()) {
    const topico = topicos[i]!;
    const t = tabelaRawCdc(nome, opcoes.raiz);
    tabelas.set(topico, t);
    const criada = !(await t.existe());
    if (criada) {
      const inicio = opcoes.inicioCdcPorTabela?.[nome] ?? opcoes.inicioCdc ?? "inicio";
      const inicios = inicio === "fim" ? fins : (iniciais ??= await posicoesIniciais(topicos));
      await t.criar({
        esquema: ESQUEMA_RAW_CDC,
        particionarPor: ["dt_ingestao"],
        nome: `raw_cdc_${nome}`,
        descricao: `Eventos CDC (Debezium) do tópico ${topico}, como chegaram.`,
        configuracao: { [PROP_TOPICO]: topico, [PROP_POSICAO_INICIAL]: JSON.stringify(inicios[topico] ?? {}), "delta.appendOnly": "true" },
        seExistir: "ignorar",
      });
    }
    const prox = await proximasPosicoes(t);
    desde[topico] = Object.fromEntries(Object.keys(fins[topico] ?? {}).map((p) => [Number(p), String(prox[Number(p)] ?? 0n)]));
    resultados.set(topico, { tabela: nome, url: t.url, linhas: 0, commits: 0, versao: (await t.instantaneo()).versao, criada });
  }
  const pendentes = new Set<string>();
  for (const t of topicos) {
    for (const [p, fim] of Object.entries(fins[t] ?? {})) if (BigInt(fim) > BigInt(desde[t]![Number(p)] ?? "0")) pendentes.add(`${t}/${p}`);
  }
  if (pendentes.size === 0) return [...resultados.values(), ...faltando];

  const buffers = new Map<string, MensagemBruta[]>(topicos.map((t) => [t, []]));
  const descarregar = async (topico: string) => {
    const buf = buffers.get(topico)!;
    if (buf.length === 0) return;
    buffers.set(topico, []);
    const agora = new Date();
    const r = await tabelas.get(topico)!.anexar(buf.map((x) => linhaRaw(x, agora)));
    const res = resultados.get(topico)!;
    res.linhas += r.linhasEscritas;
    res.commits++;
    res.versao = r.versao;
    opcoes.aoProgredir?.(`raw/cdc/${res.tabela}: +${buf.length} mensagens (versão ${r.versao})`);
  };

  const assinados = topicos.filter((t) => [...pendentes].some((k) => k.startsWith(`${t}/`)));
  const consumer = clienteKafka("liga-sudoers-lake-raw").consumer({ groupId: `liga-sudoers-lake-${randomUUID()}`, maxWaitTimeInMs: 250 });
  await consumer.connect();
  let esgotou = false;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        esgotou = true;
        resolve();
      }, timeoutMs);
      consumer.on(consumer.events.CRASH, (e) => {
        clearTimeout(timer);
        reject(e.payload.error);
      });
      (async () => {
        await consumer.subscribe({ topics: assinados, fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
            const { topic, partition } = batch;
            const inicio = BigInt(desde[topic]?.[partition] ?? "0");
            const fim = BigInt(fins[topic]?.[partition] ?? "0");
            const buf = buffers.get(topic)!;
            for (const m of batch.messages) {
              const o = BigInt(m.offset);
              // Only [start, end at the start of the run): bounded, and never a message twice.
              if (o >= inicio && o < fim && !esgotou) {
                buf.push({ topico: topic, particao: partition, offset: o, m });
                desde[topic]![partition] = String(o + 1n);
              }
              resolveOffset(m.offset);
              if (o + 1n >= fim) pendentes.delete(`${topic}/${partition}`);
            }
            if (buf.length >= lote && !esgotou) await descarregar(topic);
            await heartbeat();
            if (pendentes.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
        // Every partition of a subscribed topic starts at its position (one already at its end
        // is sought there too, instead of being read from the beginning for nothing).
        for (const t of assinados) {
          for (const p of Object.keys(fins[t] ?? {})) consumer.seek({ topic: t, partition: Number(p), offset: desde[t]![Number(p)] ?? "0" });
        }
      })().catch((e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  } finally {
    await consumer.disconnect();
  }
  for (const t of topicos) await descarregar(t);
  if (esgotou) {
    for (const t of topicos) {
      const faltam = [...pendentes].filter((k) => k.startsWith(`${t}/`));
      if (faltam.length) resultados.get(t)!.observacao = `tempo esgotado (${timeoutMs / 1000} s): o restante fica para o próximo build`;
    }
  }
  return [...resultados.values(), ...faltando];
}

// ---------------------------------------------------------------------------------------------
// DW extracts

export interface ModeloDw {
  modelo: string;
  /** SQL of the watermark: a timestamptz column/expression, or an integer one (tipo "inteiro"). */
  marca: string;
  tipoMarca: "instante" | "inteiro";
  /** The model's key, the tie-breaker after the watermark. */
  chaves: string[];
  /** A column to filter by the watermark with an index (the watermark itself when it is a column). */
  indice?: string;
}

/** The star schema of dbt_project/models/marts and the load watermark of each model. */
export const MODELOS_DW: readonly ModeloDw[] = [
  { modelo: "fato_itens_pedido", marca: "carregado_em", tipoMarca: "instante", chaves: ["id_pedido", "id_produto"], indice: "carregado_em" },
  { modelo: "fato_pedidos", marca: "carregado_em", tipoMarca: "instante", chaves: ["id_pedido"], indice: "carregado_em" },
  // SCD 2: a version changes when it is closed (valido_ate moves from 9999-12-31 to the next
  // version's start), so the watermark is the later of its own update and its closing.
  {
    modelo: "dim_pessoas",
    marca: "greatest(atualizado_em, nullif(valido_ate, timestamptz '9999-12-31 00:00:00+00'))",
    tipoMarca: "instante",
    chaves: ["sk_pessoa"],
  },
  { modelo: "dim_produtos", marca: "atualizado_em", tipoMarca: "instante", chaves: ["sk_produto"] },
  { modelo: "dim_local", marca: "pedido_carregado_em", tipoMarca: "instante", chaves: ["geohash"] },
  { modelo: "dim_dispositivo", marca: "pedido_carregado_em", tipoMarca: "instante", chaves: ["dispositivo"] },
  // Generated calendar: days never change, new ones are appended as the sales range grows.
  { modelo: "dim_data", marca: "sk_data", tipoMarca: "inteiro", chaves: ["sk_data"] },
];

const PROP_MARCA_INICIAL = "liga.dw.marcaInicial";

interface ColunaPg {
  nome: string;
  tipo: string;
  precisao: number | null;
  escala: number | null;
}

function tipoDeltaDe(c: ColunaPg): string {
  switch (c.tipo) {
    case "bigint":
      return "long";
    case "integer":
      return "integer";
    case "smallint":
      return "short";
    case "boolean":
      return "boolean";
    case "date":
      return "date";
    case "timestamp with time zone":
    case "timestamp without time zone":
      return "timestamp";
    case "double precision":
      return "double";
    case "real":
      return "float";
    case "numeric":
      return c.precisao !== null && c.precisao <= 38 ? `decimal(${c.precisao},${c.escala ?? 0})` : "string";
    default:
      return "string";
  }
}

function selecao(c: ColunaPg): string {
  const id = `"${c.nome.replace(/"/g, '""')}"`;
  if (c.tipo === "timestamp with time zone") return `to_char(${id} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as ${id}`;
  if (c.tipo === "timestamp without time zone") return `to_char(${id}, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as ${id}`;
  const t = tipoDeltaDe(c);
  if (t === "string" || t === "date" || t.startsWith("decimal")) return `${id}::text as ${id}`;
  return id;
}

/** µs since the epoch → timestamptz text PostgreSQL parses exactly. */
function textoDeMicros(us: bigint): string {
  const ms = us / 1000n - (us % 1000n < 0n ? 1n : 0n);
  const resto = us - ms * 1000n;
  const iso = new Date(Number(ms)).toISOString();
  return `${iso.slice(0, 23)}${resto.toString().padStart(3, "0")}Z`;
}

type ValorChave = number | string | bigint;

function compararValores(a: ValorChave, b: ValorChave): number {
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  const x = BigInt(a as number | bigint);
  const y = BigInt(b as number | bigint);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The greatest (watermark, key…) stored in the extract, or the table's start mark. */
async function ultimaMarca(t: TabelaDelta, m: ModeloDw): Promise<ValorChave[] | undefined> {
  const inst = await t.instantaneo();
  const inicial = inst.metadata.configuration[PROP_MARCA_INICIAL];
  if (inst.arquivos.size === 0) return inicial ? [BigInt(inicial)] : undefined;
  // Only the files holding the greatest mark (from the log's stats) need reading.
  let maior: bigint | undefined;
  for (const a of inst.arquivos.values()) {
    const v = statsDe(a)?.maxValues?._marca_us;
    if (typeof v !== "number" && typeof v !== "string") {
      maior = undefined;
      break;
    }
    if (maior === undefined || BigInt(v) > maior) maior = BigInt(v);
  }
  const cols = await lerColunas(t, ["_marca_us", ...m.chaves], maior === undefined ? undefined : [["_marca_us", ">=", maior]]);
  let melhor: ValorChave[] | undefined;
  const n = cols[0]!.length;
  for (let j = 0; j < n; j++) {
    const tupla = cols.map((c) => c[j] as ValorChave);
    if (!melhor) melhor = tupla;
    else {
      for (let i = 0; i < tupla.length; i++) {
        const c = compararValores(tupla[i]!, melhor[i]!);
        if (c > 0) {
          melhor = tupla;
          break;
        }
        if (c < 0) break;
      }
    }
  }
  return melhor;
}

/** Appends to raw/dw/<modelo> the rows of marts.<modelo> after the stored watermark, in pages. */
export async function extrairDw(opcoes: OpcoesRaw = {}): Promise<ResultadoRawTabela[]> {
  const lote = opcoes.loteDw ?? 50_000;
  return withClient("dw", async (client) => {
    const resultados: ResultadoRawTabela[] = [];
    for (const m of MODELOS_DW.filter((x) => !opcoes.modelos || opcoes.modelos.includes(x.modelo))) {
      const t = tabelaRawDw(m.modelo, opcoes.raiz);
      const { rows: cols } = await client.query<ColunaPg>(
        `select column_name as nome, data_type as tipo, numeric_precision as precisao, numeric_scale as escala
           from information_schema.columns where table_schema = 'marts' and table_name = $1 order by ordinal_position`,
        [m.modelo],
      );
      if (cols.length === 0) {
        resultados.push({ tabela: m.modelo, url: t.url, linhas: 0, commits: 0, versao: -1, observacao: `marts.${m.modelo} não existe (rode o dbt build)` });
        continue;
      }
      const expr = m.tipoMarca === "instante" ? `(extract(epoch from ${m.marca}) * 1000000)::bigint` : `(${m.marca})::bigint`;
      const criada = !(await t.existe());
      if (criada) {
        const esquema: Record<string, string> = {};
        for (const c of cols) esquema[c.nome] = tipoDeltaDe(c);
        Object.assign(esquema, { _marca_us: "long", ingerido_em: "timestamp not null", dt_ingestao: "date not null" });
        let marcaInicial: string | undefined;
        if (opcoes.inicioDw === "agora") {
          const { rows } = await client.query<{ m: string | null }>(`select max(${expr})::text as m from marts.${m.modelo}`);
          marcaInicial = rows[0]?.m ?? undefined;
        }
        await t.criar({
          esquema,
          particionarPor: ["dt_ingestao"],
          nome: `raw_dw_${m.modelo}`,
          descricao: `Extração incremental de marts.${m.modelo} (marca d'água: ${m.marca}).`,
          configuracao: { "delta.appendOnly": "true", "liga.dw.marca": m.marca, ...(marcaInicial ? { [PROP_MARCA_INICIAL]: marcaInicial } : {}) },
          seExistir: "ignorar",
        });
      }
      const res: ResultadoRawTabela = { tabela: m.modelo, url: t.url, linhas: 0, commits: 0, versao: (await t.instantaneo()).versao, criada };
      const marca = await ultimaMarca(t, m);
      const chavesSql = m.chaves.map((c) => `"${c}"`);
      // Text keys compare byte-wise ("C"), the order JavaScript uses to find the greatest one.
      const ehTexto = (nome: string) => ["text", "character varying", "character"].includes(cols.find((x) => x.nome === nome)!.tipo);
      const ordem = [expr, ...chavesSql.map((c, i) => (ehTexto(m.chaves[i]!) ? `${c} collate "C"` : c))];
      const lista = cols.map(selecao).join(", ");
      const params: unknown[] = [];
      let onde = "";
      if (marca) {
        const base = m.tipoMarca === "instante" && m.indice ? `"${m.indice}" >= $1::timestamptz and ` : "";
        if (m.tipoMarca === "instante" && m.indice) params.push(textoDeMicros(marca[0] as bigint));
        if (marca.length === 1) {
          params.push(String(marca[0]));
          onde = `where ${base}${expr} > $${params.length}::bigint`;
        } else {
          const inicio = params.length;
          params.push(String(marca[0]), ...marca.slice(1).map((v) => String(v)));
          const ph = marca.map((_, i) => `$${inicio + i + 1}${i === 0 ? "::bigint" : ""}`);
          onde = `where ${base}(${ordem.join(", ")}) > (${ph.join(", ")})`;
        }
      }
      // One sorted query in one snapshot, fetched through a cursor in pages (one commit per
      // page): the sort runs once, and a run cut midway resumes after the last stored row
      // because the order is the watermark's.
      await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      try {
        await client.query(
          `DECLARE extracao NO SCROLL CURSOR FOR select ${lista}, ${expr}::text as _marca_us from marts.${m.modelo} ${onde} order by ${ordem.join(", ")}`,
          params,
        );
        for (;;) {
          const { rows } = await client.query<Record<string, unknown>>(`FETCH ${lote} FROM extracao`);
          if (rows.length === 0) break;
          const agora = new Date();
          for (const r of rows) {
            r.ingerido_em = agora;
            r.dt_ingestao = diaUtc(agora);
          }
          const w = await t.anexar(rows);
          res.linhas += w.linhasEscritas;
          res.commits++;
          res.versao = w.versao;
          opcoes.aoProgredir?.(`raw/dw/${m.modelo}: +${rows.length} linhas (versão ${w.versao})`);
          if (rows.length < lote) break;
        }
      } finally {
        await client.query("ROLLBACK").catch(() => undefined);
      }
      resultados.push(res);
    }
    return resultados;
  });
}
