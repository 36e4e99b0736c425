// The raw layer: data exactly as it arrived, append-only, partitioned by ingestion date.
//   - CDC: every Debezium message of the six OLTP topics, the value kept verbatim (the JSON the
//     connector wrote, schema included) plus topic/partition/offset/key/op/timestamps. Where to
//     resume is the table itself: the greatest offset stored per Kafka partition (the offsets
//     commit atomically with the rows, so a crash never loses or duplicates a message), or, for
//     a table still empty, the start position recorded in its properties when it was created.
//   - DW: the star schema's rows (marts.*), extracted incrementally by each model's load
//     watermark. The watermark is a column of the rows themselves (_marca_us) plus the model's
//     key, so a run cut in the middle resumes exactly after the last row it stored.
// A run with nothing new writes no commit. This module holds the CDC half and the layer's shared
// types; the DW half lives in extratos.ts, re-exported here so the layer keeps one entry.
import type { KafkaMessage } from "kafkajs";
import {
  TABELAS_CAPTURADAS,
  lerEmLotes,
  posicoesFinais,
  posicoesIniciais,
  resumoDoEvento,
  topicoDaTabela,
  topicosExistentes,
  type Posicoes,
} from "../cdc/index";
import { statsDe, type TabelaDelta } from "../lake/index";
import { diaUtc, lerColunas, tabela, type OpcoesLakehouse } from "./comum";

export { extrairDw, MODELOS_DW, tabelaRawDw, type ModeloDw } from "./extratos";

const ESQUEMA_RAW_CDC = {
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

/** Next offset to read per partition: greatest stored offset + 1, else the table's start position. */
async function proximasPosicoes(t: TabelaDelta): Promise<Record<number, bigint>> {
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
    const [ps, os] = (await lerColunas(t, ["kafka_particao", "kafka_offset"], piso < 0n ? undefined : [["kafka_offset", ">", piso]])) as [
      ArrayLike<number>,
      ArrayLike<bigint>,
    ];
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
  m: KafkaMessage;
}

function linhaRaw(x: MensagemBruta, agora: Date): Record<string, unknown> {
  const valor = x.m.value?.length ? x.m.value.toString("utf8") : null;
  // Kept verbatim whatever it is: raw never drops what arrived; trusted quarantines it.
  const { op, tsMs } = resumoDoEvento(valor);
  return {
    kafka_topico: x.topico,
    kafka_particao: x.particao,
    kafka_offset: BigInt(x.m.offset),
    kafka_chave: x.m.key?.length ? x.m.key.toString("utf8") : null,
    kafka_ts: x.m.timestamp ? new Date(Number(x.m.timestamp)) : null,
    op,
    ts_evento: tsMs === null ? null : new Date(tsMs),
    payload: valor,
    ingerido_em: agora,
    dt_ingestao: diaUtc(agora),
  };
}

/** The six topics split into those to read and a result for each table whose topic does not exist yet. */
async function topicosDisponiveis(raiz: string | undefined): Promise<{ nomes: string[]; faltando: ResultadoRawTabela[] }> {
  // A topic appears with the connector's snapshot (lesson 04); before that there is nothing to read.
  const existentes = await topicosExistentes(TABELAS_CAPTURADAS.map(topicoDaTabela));
  const faltando = TABELAS_CAPTURADAS.filter((n) => !existentes.has(topicoDaTabela(n))).map((n) => ({
    tabela: n,
    url: tabelaRawCdc(n, raiz).url,
    linhas: 0,
    commits: 0,
    versao: -1,
    observacao: `o tópico ${topicoDaTabela(n)} não existe: o conector do Debezium ainda não foi registrado (notebook 04_cdc)`,
  }));
  return { nomes: TABELAS_CAPTURADAS.filter((n) => existentes.has(topicoDaTabela(n))), faltando };
}

interface DestinoCdc {
  tabela: TabelaDelta;
  resultado: ResultadoRawTabela;
}

/**
 * Opens raw/cdc/<tabela> for each topic, creating the missing ones (their start position, by
 * inicioCdc, recorded in the table), and where each partition resumes.
 */
async function abrirDestinos(
  nomes: string[],
  fins: Posicoes,
  opcoes: OpcoesRaw,
): Promise<{ destinos: Map<string, DestinoCdc>; desde: Posicoes }> {
  const destinos = new Map<string, DestinoCdc>();
  const desde: Posicoes = {};
  let iniciais: Posicoes | undefined;
  for (const nome of nomes) {
    const topico = topicoDaTabela(nome);
    const t = tabelaRawCdc(nome, opcoes.raiz);
    const criada = !(await t.existe());
    if (criada) {
      const inicio = opcoes.inicioCdcPorTabela?.[nome] ?? opcoes.inicioCdc ?? "inicio";
      if (inicio === "inicio" && !iniciais) iniciais = await posicoesIniciais(Object.keys(fins));
      const inicios = inicio === "fim" ? fins : iniciais!;
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
    const resultado = { tabela: nome, url: t.url, linhas: 0, commits: 0, versao: (await t.instantaneo()).versao, criada };
    destinos.set(topico, { tabela: t, resultado });
  }
  return { destinos, desde };
}

/**
 * Appends to raw/cdc/<tabela> every message of the six topics from the offsets stored in each
 * table up to the end offsets seen at the start (bounded), in commits of `loteCdc` messages.
 * The messages stream through lib/cdc's lerEmLotes: memory holds at most a commit's worth per
 * topic, and a Delta commit is awaited before the next fetch.
 */
export async function ingerirCdc(opcoes: OpcoesRaw = {}): Promise<ResultadoRawTabela[]> {
  const lote = opcoes.loteCdc ?? 20_000;
  const timeoutMs = opcoes.timeoutCdcMs ?? 30 * 60_000;
  const { nomes, faltando } = await topicosDisponiveis(opcoes.raiz);
  if (nomes.length === 0) return faltando;
  const fins = await posicoesFinais(nomes.map(topicoDaTabela));
  const { destinos, desde } = await abrirDestinos(nomes, fins, opcoes);
  const buffers = new Map<string, MensagemBruta[]>([...destinos.keys()].map((t) => [t, []]));
  const descarregar = async (topico: string) => {
    const buf = buffers.get(topico)!;
    if (buf.length === 0) return;
    buffers.set(topico, []);
    const agora = new Date();
    const { tabela: t, resultado: res } = destinos.get(topico)!;
    const r = await t.anexar(buf.map((x) => linhaRaw(x, agora)));
    res.linhas += r.linhasEscritas;
    res.commits++;
    res.versao = r.versao;
    opcoes.aoProgredir?.(`raw/cdc/${res.tabela}: +${buf.length} mensagens (versão ${r.versao})`);
  };
  const leitura = await lerEmLotes(
    desde,
    async ({ topico, particao, mensagens }) => {
      const buf = buffers.get(topico)!;
      for (const m of mensagens) buf.push({ topico, particao, m });
      if (buf.length >= lote) await descarregar(topico);
    },
    { ate: fins, timeoutMs, cliente: "liga-sudoers-lake-raw" },
  );
  // What was handed over is stored before returning: the next build resumes after it.
  for (const t of destinos.keys()) await descarregar(t);
  if (leitura.esgotou) {
    for (const [t, { resultado }] of destinos) {
      const faltam = Object.entries(fins[t] ?? {}).some(([p, fim]) => BigInt(leitura.proximas[t]?.[Number(p)] ?? "0") < BigInt(fim));
      if (faltam) resultado.observacao = `tempo esgotado (${timeoutMs / 1000} s): o restante fica para o próximo build`;
    }
  }
  return [...[...destinos.values()].map((d) => d.resultado), ...faltando];
}
