// Helpers for notebook 06 (lakehouse and Delta Lake) only: plain CSV/Parquet files without a log,
// a commit's actions as table rows, a table's partitions from its log, and the build report as
// HTML. The build itself never imports this file.
import * as arrow from "apache-arrow";
import { htmlTable } from "../display";
import {
  type Armazenamento,
  type Dados,
  type Linha,
  type OpcoesLeitura,
  type TabelaDelta,
  PASTA_LOG,
  lerAcoes,
  nomeCommit,
} from "../lake/index";
import { leitorDeLinhas } from "../lake/condicoes";
import { gravarParquet, lerParquet } from "../lake/parquet";
import type { ResultadoBuild } from "./index";
import { tabelaRefined } from "./refined-tabelas";
import { DEFINICOES, tabelaTrusted, type TabelaOltp } from "./trusted";

type Registro = Record<string, string | number | boolean | null>;

/** A few order items (the columns of the lesson's didactic table), for the files without a log. */
export const ITENS_EXEMPLO: Registro[] = [
  {
    id_pedido: 1,
    id_produto: 11,
    produto: "Ração Premium 10 kg",
    categoria: "Pet",
    qtde: 1,
    valor_unit: 189.9,
    valor_total: 189.9,
    uf: "SP",
    dt_venda: "2025-01-10",
  },
  {
    id_pedido: 1,
    id_produto: 42,
    produto: "Fone Bluetooth",
    categoria: "Eletrônicos",
    qtde: 2,
    valor_unit: 99.5,
    valor_total: 199,
    uf: "SP",
    dt_venda: "2025-01-10",
  },
  {
    id_pedido: 2,
    id_produto: 7,
    produto: "Camiseta Básica",
    categoria: "Moda",
    qtde: 3,
    valor_unit: 39.9,
    valor_total: 119.7,
    uf: "MG",
    dt_venda: "2025-01-10",
  },
  {
    id_pedido: 3,
    id_produto: 42,
    produto: "Fone Bluetooth",
    categoria: "Eletrônicos",
    qtde: 1,
    valor_unit: 99.5,
    valor_total: 99.5,
    uf: "BA",
    dt_venda: "2025-01-11",
  },
  {
    id_pedido: 4,
    id_produto: 90,
    produto: "Panela de Pressão",
    categoria: "Casa",
    qtde: 1,
    valor_unit: 149,
    valor_total: 149,
    uf: "RJ",
    dt_venda: "2025-01-11",
  },
  {
    id_pedido: 5,
    id_produto: 11,
    produto: "Ração Premium 10 kg",
    categoria: "Pet",
    qtde: 2,
    valor_unit: 189.9,
    valor_total: 379.8,
    uf: "RJ",
    dt_venda: "2025-01-11",
  },
];

// -------------------------------------------------------------------------------------------
// Files without a log

const campoCsv = (v: unknown) => {
  const s = v === null || v === undefined ? "" : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function paraCsv(linhas: readonly Registro[]): Uint8Array {
  const cols = Object.keys(linhas[0] ?? {});
  const texto = `${[cols.join(","), ...linhas.map((l) => cols.map((c) => campoCsv(l[c])).join(","))].join("\n")}\n`;
  return new TextEncoder().encode(texto);
}

/** Parses what paraCsv wrote (quoted fields without line breaks); every value comes back as text. */
export function deCsv(bytes: Uint8Array): Record<string, string>[] {
  const campos = (linha: string) =>
    [...linha.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)].slice(0, -1).map((m) => m[1]!.replace(/^"|"$/g, "").replace(/""/g, '"'));
  const [cabecalho, ...linhas] = new TextDecoder()
    .decode(bytes)
    .split("\n")
    .filter((l) => l !== "");
  const cols = campos(cabecalho ?? "");
  return linhas.map((l) => Object.fromEntries(campos(l).map((v, i) => [cols[i]!, v])));
}

export function paraParquet(linhas: readonly Registro[]): Uint8Array {
  return gravarParquet(arrow.tableFromJSON(linhas as Registro[]));
}

export function deParquet(bytes: Uint8Array): Registro[] {
  return lerParquet(bytes)
    .toArray()
    .map((r) => r.toJSON() as Registro);
}

/** Objects under a prefix of a storage, as table rows. */
export async function objetos(arm: Armazenamento, prefixo = ""): Promise<{ objeto: string; bytes: number; modificado: string }[]> {
  return (await arm.listar(prefixo)).map((o) => ({
    objeto: o.chave,
    bytes: o.tamanho,
    modificado: o.modificado.toISOString().slice(11, 23),
  }));
}

/** Every row of every Parquet file under a prefix: what a reader without a log sees right now. */
export async function lerPasta(arm: Armazenamento, prefixo: string): Promise<{ arquivos: number; linhas: Registro[] }> {
  const lista = (await arm.listar(prefixo)).filter((o) => o.chave.endsWith(".parquet"));
  const linhas: Registro[] = [];
  for (const o of lista) linhas.push(...deParquet(await arm.ler(o.chave)));
  return { arquivos: lista.length, linhas };
}

// -------------------------------------------------------------------------------------------
// The log

const curto = (v: unknown, max = 140) => {
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max)}…` : s;
};

/** {a: "1", b: "[2]"} as "a=1; b=[2]" (Delta stores operation parameters and metrics as text). */
const pares = (o: Record<string, unknown>, max: number) =>
  curto(
    Object.entries(o)
      .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
      .join("; "),
    max,
  );

/**
 * The actions of one commit (`_delta_log/<versão>.json`) as rows: one per line of the file, with
 * at most `maxArquivos` add/remove rows (the rest summed up in one row).
 */
export async function acoesDoCommit(t: TabelaDelta, versao: number, maxArquivos = 6): Promise<Record<string, string | number>[]> {
  const chave = `${PASTA_LOG}/${nomeCommit(versao)}`;
  const acoes = lerAcoes(new TextDecoder().decode(await t.arm.ler(chave)), chave);
  const linhas: Record<string, string | number>[] = [];
  let omitidas = 0;
  for (const a of acoes) {
    if ("commitInfo" in a) {
      const c = a.commitInfo;
      const detalhe = `operation=${c.operation}; readVersion=${c.readVersion ?? "—"}; engineInfo=${c.engineInfo}; parâmetros: ${pares(c.operationParameters ?? {}, 200)}; métricas: ${pares(c.operationMetrics ?? {}, 200)}`;
      linhas.push({ ação: "commitInfo", arquivo: "", partição: "", bytes: "", detalhe });
    } else if ("protocol" in a) {
      linhas.push({ ação: "protocol", arquivo: "", partição: "", bytes: "", detalhe: JSON.stringify(a.protocol) });
    } else if ("metaData" in a) {
      const m = a.metaData;
      const cols = (JSON.parse(m.schemaString) as { fields: { name: string; type: unknown; nullable: boolean }[] }).fields;
      const esquema = cols
        .map((f) => `${f.name} ${typeof f.type === "string" ? f.type : "struct"}${f.nullable ? "" : " not null"}`)
        .join(", ");
      linhas.push({
        ação: "metaData",
        arquivo: "",
        partição: JSON.stringify(m.partitionColumns),
        bytes: "",
        detalhe: curto(`id=${m.id}; esquema: ${esquema}; configuration=${JSON.stringify(m.configuration)}`, 600),
      });
    } else if ("add" in a || "remove" in a) {
      if (linhas.filter((l) => l.ação === "add" || l.ação === "remove").length >= maxArquivos) {
        omitidas++;
        continue;
      }
      const f = "add" in a ? a.add : a.remove;
      linhas.push({
        ação: "add" in a ? "add" : "remove",
        arquivo: f.path,
        partição: JSON.stringify(f.partitionValues ?? {}),
        bytes: f.size ?? "",
        detalhe:
          "add" in a
            ? `stats=${curto(a.add.stats ?? "", 220)}`
            : `deletionTimestamp=${new Date(a.remove.deletionTimestamp ?? 0).toISOString()}`,
      });
    } else linhas.push({ ação: Object.keys(a)[0] ?? "?", arquivo: "", partição: "", bytes: "", detalhe: curto(Object.values(a)[0]) });
  }
  if (omitidas) linhas.push({ ação: "…", arquivo: `mais ${omitidas} ações add/remove`, partição: "", bytes: "", detalhe: "" });
  return linhas;
}

/** The values of a partition column in a table's current version, from the log alone (no data file is read). */
export async function particoes(
  t: TabelaDelta,
  coluna: string,
): Promise<{ valor: string; arquivos: number; bytes: number; linhas: number }[]> {
  const por = new Map<string, { valor: string; arquivos: number; bytes: number; linhas: number }>();
  for (const a of (await t.instantaneo()).arquivos.values()) {
    const valor = a.partitionValues[coluna] ?? "(nulo)";
    const p = por.get(valor) ?? { valor, arquivos: 0, bytes: 0, linhas: 0 };
    p.arquivos++;
    p.bytes += a.size;
    p.linhas += a.stats ? ((JSON.parse(a.stats) as { numRecords?: number }).numRecords ?? 0) : 0;
    por.set(valor, p);
  }
  return [...por.values()].sort((x, y) => x.valor.localeCompare(y.valor));
}

/** A value for display: bigint as text, a Date at UTC midnight (a date column) as "YYYY-MM-DD", other instants as ISO text. */
function exibir(v: unknown): unknown {
  if (typeof v === "bigint") return v.toString();
  if (!(v instanceof Date)) return v;
  const iso = v.toISOString();
  return iso.endsWith("T00:00:00.000Z") ? iso.slice(0, 10) : iso.replace(".000Z", "Z");
}

/** Rows as display values (see exibir). */
export function paraExibir(linhas: readonly Linha[]): Record<string, unknown>[] {
  return linhas.map((l) => Object.fromEntries(Object.entries(l).map(([k, v]) => [k, exibir(v)])));
}

// -------------------------------------------------------------------------------------------
// The build report

export interface VersaoTabela {
  tabela: string;
  versao: number;
  commits: number;
}

/** Every table a build touched, with its version after the build and the commits it wrote. */
function versoesDoBuild(r: ResultadoBuild): VersaoTabela[] {
  return [
    ...r.rawCdc.map((t) => ({ tabela: `raw/cdc/${t.tabela}`, versao: t.versao, commits: t.commits })),
    ...r.rawDw.map((t) => ({ tabela: `raw/dw/${t.tabela}`, versao: t.versao, commits: t.commits })),
    ...r.trusted.map((t) => ({ tabela: `trusted/${t.tabela}`, versao: t.versao, commits: t.commits })),
    ...(r.refined
      ? [r.refined.itens, r.refined.diarias].map((t) => ({ tabela: `refined/${t.tabela}`, versao: t.versao, commits: t.commits }))
      : []),
  ];
}

const s = (x: number) => `${x.toFixed(1)} s`;

/** The build's result as one HTML table per layer, plus the quality gate's report. */
export function htmlDoBuild(r: ResultadoBuild): string {
  const partes: string[] = [];
  const raw = [...r.rawCdc.map((t) => ({ origem: "CDC (Kafka)", ...t })), ...r.rawDw.map((t) => ({ origem: "DW (marts)", ...t }))];
  if (raw.length) {
    partes.push(
      htmlTable(
        raw.map((t) => ({
          tabela: t.tabela,
          origem: t.origem,
          "linhas novas": t.linhas,
          commits: t.commits,
          versão: t.versao,
          obs: t.observacao ?? (t.criada ? "criada agora" : ""),
        })),
        undefined,
        `raw — só acréscimo (${s(r.segundos.raw)})`,
      ),
    );
  }
  if (r.trusted.length) {
    partes.push(
      htmlTable(
        r.trusted.map((t) => ({
          tabela: t.tabela,
          eventos: t.eventos,
          inseridas: t.inseridas,
          atualizadas: t.atualizadas,
          excluídas: t.excluidas,
          quarentena: t.quarentena,
          commits: t.commits,
          versão: t.versao,
        })),
        undefined,
        `trusted — MERGE por chave (${s(r.segundos.trusted)})`,
      ),
    );
  }
  const f = r.refined;
  if (f) {
    partes.push(
      htmlTable(
        [f.itens, f.diarias].map((t) => ({
          tabela: t.tabela,
          inseridas: t.inseridas,
          atualizadas: t.atualizadas,
          excluídas: t.excluidas,
          commits: t.commits,
          versão: t.versao,
        })),
        undefined,
        `refined — ${f.pedidosRecalculados} pedido(s) recalculado(s), ${f.itensAguardando} item(ns) aguardando trusted (${s(r.segundos.refined)})`,
      ),
    );
    partes.push(
      htmlTable(
        f.portao.verificacoes.map((v) => ({ ok: v.ok, expectativa: v.nome, valor: v.valor, esperado: v.esperado })),
        undefined,
        `Portão de qualidade trusted → refined: ${f.portao.ok ? "aprovado" : "REPROVADO"} sobre ${f.portao.linhas} linha(s) novas ou alteradas`,
      ),
    );
  }
  return partes.join("<br/>");
}

/** Each table of build `b` beside its version after build `a`: what the second build wrote. */
export function compararBuilds(
  a: ResultadoBuild,
  b: ResultadoBuild,
): { tabela: string; "versão após o 1º": number; "versão após o 2º": number; "commits do 2º": number }[] {
  const depois = new Map(versoesDoBuild(b).map((v) => [v.tabela, v]));
  return versoesDoBuild(a).map((v) => ({
    tabela: v.tabela,
    "versão após o 1º": v.versao,
    "versão após o 2º": depois.get(v.tabela)?.versao ?? v.versao,
    "commits do 2º": depois.get(v.tabela)?.commits ?? 0,
  }));
}

/** A progress callback that prints at most one line every `intervaloMs` (a first build reports thousands). */
export function progressoResumido(intervaloMs = 5000): (texto: string) => void {
  let ultimo = 0;
  return (texto) => {
    const agora = Date.now();
    if (agora - ultimo < intervaloMs && !texto.startsWith("refined")) return;
    ultimo = agora;
    console.log(`${new Date(agora).toISOString().slice(11, 19)}  ${texto}`);
  };
}

// -------------------------------------------------------------------------------------------
// The didactic table (a copy of a slice of refined/itens_por_pessoa)

export const ESQUEMA_DIDATICO = {
  id_pedido: "long not null",
  id_produto: "integer not null",
  produto: "string",
  categoria: "string",
  qtde: "integer",
  valor_unit: "decimal(10,2)",
  valor_total: "decimal(12,2)",
  uf: "string",
  dt_venda: "date not null",
};

export interface FatiaDidatica {
  /** Where the rows came from. */
  origem: string;
  dias: string[];
  /** The first day whole, then the second day in up to `lotes` small appends (as micro-batches would arrive). */
  partes: Dados[];
  linhas: number;
  /** An order id above every one in the slice (for a row the MERGE inserts). */
  proximoPedido: bigint;
}

/**
 * The two most recent days of refined/itens_por_pessoa with the didactic table's columns, read
 * by partition; the example rows when refined is still empty.
 */
export async function fatiaDidatica(itens: TabelaDelta, lotes = 4): Promise<FatiaDidatica> {
  const dias = (await itens.existe())
    ? (await particoes(itens, "dt_venda"))
        .filter((p) => p.linhas > 0)
        .slice(-2)
        .map((p) => p.valor)
    : [];
  const colunas = Object.keys(ESQUEMA_DIDATICO);
  let tabelas: arrow.Table[] = [];
  let origem = `${itens.url} (${dias.join(" e ")})`;
  if (dias.length) tabelas = await Promise.all(dias.map(async (d) => (await itens.ler({ onde: [["dt_venda", "=", d]], colunas })).tabela));
  if (tabelas.reduce((n, t) => n + t.numRows, 0) < 2) {
    origem = "ITENS_EXEMPLO (refined ainda está vazia)";
    const porDia = [...new Set(ITENS_EXEMPLO.map((l) => l.dt_venda as string))];
    const partes: Dados[] = porDia.map((d) => ITENS_EXEMPLO.filter((l) => l.dt_venda === d));
    const [primeiro, segundo] = partes as Registro[][];
    const proximoPedido = BigInt(Math.max(...ITENS_EXEMPLO.map((l) => l.id_pedido as number)) + 1);
    return { origem, dias: porDia, partes: [primeiro!, ...segundo!.map((l) => [l])], linhas: ITENS_EXEMPLO.length, proximoPedido };
  }
  // One day only: its first half plays the first day.
  if (tabelas.length === 1) {
    const t = tabelas[0]!;
    tabelas = [t.slice(0, Math.ceil(t.numRows / 2)), t.slice(Math.ceil(t.numRows / 2))];
  }
  const [a, b] = tabelas as [arrow.Table, arrow.Table];
  const n = Math.min(lotes, b.numRows);
  const tamanho = Math.ceil(b.numRows / n);
  const partes: Dados[] = [a];
  for (let i = 0; i < b.numRows; i += tamanho) partes.push(b.slice(i, i + tamanho));
  let maior = 0n;
  for (const t of [a, b]) for (const id of t.getChild("id_pedido")!.toArray() as BigInt64Array) if (id > maior) maior = id;
  return { origem, dias, partes, linhas: a.numRows + b.numRows, proximoPedido: maior + 1n };
}

/** The first `n` rows of a read, as plain objects (without building one for every row read). */
export async function amostra(t: TabelaDelta, n: number, opcoes: OpcoesLeitura = {}): Promise<Linha[]> {
  const { tabela } = await t.ler(opcoes);
  const inst = await t.instantaneo({ versao: opcoes.versao });
  const nomes = opcoes.colunas ?? inst.esquema.fields.map((f) => f.name);
  const linha = leitorDeLinhas(tabela, { type: "struct", fields: nomes.map((c) => inst.esquema.fields.find((f) => f.name === c)!) });
  return Array.from({ length: Math.min(n, tabela.numRows) }, (_, i) => linha(i));
}

/** DESCRIBE HISTORY as table rows, oldest first, with the row count of each version (from the log's stats). */
export async function historicoParaExibir(t: TabelaDelta): Promise<Record<string, unknown>[]> {
  const h = (await t.historico()).reverse();
  const linhas = await Promise.all(h.map((e) => t.contar({ versao: e.versao })));
  return h.map((e, i) => ({
    versão: e.versao,
    hora: e.timestamp.toISOString().slice(11, 23),
    operação: e.operacao,
    parâmetros: pares(e.parametros, 120),
    métricas: pares(e.metricas, 160),
    linhas: linhas[i],
  }));
}

// -------------------------------------------------------------------------------------------
// Charts and the privacy check

/** Daily revenue and, per day, the share of orders flagged by each rule and labelled as fraud, from vendas_diarias rows. */
export function seriesDiarias(diarias: readonly Linha[]): {
  receita: { dia: string; receita: number }[];
  taxas: { dia: string; série: string; taxa: number }[];
} {
  const por = new Map<string, { receita: number; pedidos: number; local: number; dispositivo: number; rotulada: number }>();
  for (const l of diarias) {
    const dia = (l.dt_venda as Date).toISOString().slice(0, 10);
    const d = por.get(dia) ?? { receita: 0, pedidos: 0, local: 0, dispositivo: 0, rotulada: 0 };
    d.receita += Number(l.receita);
    d.pedidos += Number(l.pedidos);
    d.local += Number(l.pedidos_regra_local);
    d.dispositivo += Number(l.pedidos_regra_dispositivo);
    d.rotulada += Number(l.pedidos_fraude_rotulada);
    por.set(dia, d);
  }
  const dias = [...por.keys()].sort();
  const taxas = dias.flatMap((dia) => {
    const d = por.get(dia)!;
    return [
      { dia, série: "regra de local", taxa: d.local / d.pedidos },
      { dia, série: "regra de dispositivo", taxa: d.dispositivo / d.pedidos },
      { dia, série: "fraude rotulada (gabarito)", taxa: d.rotulada / d.pedidos },
    ];
  });
  return { receita: dias.map((dia) => ({ dia, receita: Math.round(por.get(dia)!.receita * 100) / 100 })), taxas };
}

const TOKEN = /^[0-9a-f]{64}$/;

/**
 * Every pseudonymized column of trusted (as DEFINICOES declares them) and refined's id_pessoa
 * (one partition, `diaRefined`): how many values are 64-hex HMAC tokens and how many are not.
 */
export async function conferirPseudonimos(diaRefined?: string, raiz?: string): Promise<Record<string, string | number | boolean>[]> {
  const alvos: { nome: string; t: TabelaDelta; coluna: string; opcoes?: OpcoesLeitura }[] = [];
  for (const [nome, def] of Object.entries(DEFINICOES) as [TabelaOltp, (typeof DEFINICOES)[TabelaOltp]][]) {
    for (const coluna of Object.keys(def.pseudonimos ?? {})) alvos.push({ nome: `trusted/${nome}`, t: tabelaTrusted(nome, raiz), coluna });
  }
  if (diaRefined)
    alvos.push({
      nome: `refined/itens_por_pessoa (dt_venda = ${diaRefined})`,
      t: tabelaRefined("itens_por_pessoa", raiz),
      coluna: "id_pessoa",
      opcoes: { onde: [["dt_venda", "=", diaRefined]] },
    });
  const linhas: Record<string, string | number | boolean>[] = [];
  for (const a of alvos) {
    const vec = (await a.t.ler({ ...a.opcoes, colunas: [a.coluna] })).tabela.getChild(a.coluna)!;
    let tokens = 0;
    let nulos = 0;
    let outros = 0;
    for (const v of vec) {
      if (v === null || v === undefined) nulos++;
      else if (TOKEN.test(String(v))) tokens++;
      else outros++;
    }
    linhas.push({
      tabela: a.nome,
      coluna: a.coluna,
      valores: vec.length,
      "tokens de 64 hex": tokens,
      nulos,
      "fora do padrão": outros,
      ok: outros === 0,
    });
  }
  return linhas;
}
