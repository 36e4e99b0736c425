// The issue's acceptance test for lib/lake: every table the kit writes reads identically (row
// count, schema, a checksum per column) in lib/lake, delta-rs and Spark with Delta — after two
// appends, a delete, an update, a merge, a checkpoint, an optimize and a vacuum, with partitions —
// and a partitioned table written and then UPDATEd by Spark reads correctly in lib/lake. Runs
// against the real MinIO (bucket raw, a unique _testes/<uuid>/ prefix removed at the end); the
// Spark side runs in two JVMs only (before and after the vacuum, which makes old versions unreadable).
import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import * as arrow from "apache-arrow";
import * as pw from "parquet-wasm";
import { type Condicao, type Linha, type TabelaDelta, clienteMinio, removerPrefixo, tabelaDelta } from "../../lib/lake";
import { lakeEnv, lakeInteropBatch, type LakeBatchResult } from "../../stack/lake-env";

const BUCKET = "raw";
const PREFIXO = `_testes/${randomUUID()}`;
const KIT = `s3://${BUCKET}/${PREFIXO}/kit_particionada`;
const SPARK = `s3://${BUCKET}/${PREFIXO}/spark_particionada`;
const COLUNAS = ["id", "nome", "valor", "qtd", "taxa", "dia", "criado_em", "ativo", "obs"];
const colunaArgs = COLUNAS.flatMap((c) => ["--column", c]);
const SPARK_ROWS = 500;

// ---------------------------------------------------------------------------------------------
// The checksum of stack/lake_interop.py, recomputed here: per value, the first 8 bytes (big
// endian) of SHA-256 over its canonical text, summed mod 2^64; the null and non-null counts;
// for numbers the exact sum (Python's math.fsum for doubles). Canonical text: integers, dates
// (days since the epoch) and timestamps (µs since the epoch, UTC) in decimal; decimals with
// exactly `scale` fraction digits; doubles as Python's repr(); booleans true/false; strings as is.

interface Checksum {
  hash: string;
  nulls: number;
  count: number;
  sum?: string;
}
interface Descricao {
  version: number;
  rows: number;
  schema: { name: string; type: string; nullable: boolean }[];
  partitionColumns: string[];
  files: number;
  checksums: Record<string, Checksum>;
}
/** A canonical value: bigint for long / decimal (unscaled) / timestamp (µs), days for date. */
type Valor = bigint | number | string | boolean | null;

/** Python's repr() of a float: shortest round-trip digits, exponent below 1e-4 or from 1e16 on. */
function reprPython(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mantissa, expoente] = x.toExponential().split("e") as [string, string];
  const negativo = mantissa.startsWith("-");
  const digitos = mantissa.replace("-", "").replace(".", "");
  const exp = Number(expoente);
  const ponto = exp + 1; // digits before the decimal point
  let corpo: string;
  if (ponto > 16 || ponto < -3) {
    const resto = digitos.length > 1 ? `.${digitos.slice(1)}` : "";
    corpo = `${digitos[0]}${resto}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  } else if (ponto <= 0) corpo = `0.${"0".repeat(-ponto)}${digitos}`;
  else if (ponto >= digitos.length) corpo = `${digitos}${"0".repeat(ponto - digitos.length)}.0`;
  else corpo = `${digitos.slice(0, ponto)}.${digitos.slice(ponto)}`;
  return (negativo ? "-" : "") + corpo;
}

/** Correctly rounded sum of doubles (Shewchuk's partials, as Python's math.fsum). */
function fsum(valores: number[]): number {
  const parciais: number[] = [];
  for (let x of valores) {
    let i = 0;
    for (let y of parciais) {
      if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
      const alto = x + y;
      const baixo = y - (alto - x);
      if (baixo !== 0) parciais[i++] = baixo;
      x = alto;
    }
    parciais.length = i;
    parciais.push(x);
  }
  let n = parciais.length;
  if (n === 0) return 0;
  let alto = parciais[--n]!;
  let baixo = 0;
  while (n > 0) {
    const x = alto;
    const y = parciais[--n]!;
    alto = x + y;
    baixo = y - (alto - x);
    if (baixo !== 0) break;
  }
  // Round half to even across the remaining partials.
  if (n > 0 && ((baixo < 0 && parciais[n - 1]! < 0) || (baixo > 0 && parciais[n - 1]! > 0))) {
    const y = baixo * 2;
    const x = alto + y;
    if (y === x - alto) alto = x;
  }
  return alto;
}

function textoDecimal(u: bigint, escala: number): string {
  const s = (u < 0n ? -u : u).toString().padStart(escala + 1, "0");
  const corpo = escala === 0 ? s : `${s.slice(0, -escala)}.${s.slice(-escala)}`;
  return (u < 0n ? "-" : "") + corpo;
}

const INTEIROS = new Set(["byte", "short", "integer", "long"]);

function checksum(tipo: string, valores: Valor[]): Checksum {
  const escala = tipo.startsWith("decimal(") ? Number(/,(\d+)\)$/.exec(tipo)![1]) : 0;
  const texto = (v: Exclude<Valor, null>): string => {
    if (tipo.startsWith("decimal(")) return textoDecimal(v as bigint, escala);
    if (tipo === "double" || tipo === "float") return reprPython(v as number);
    if (tipo === "boolean") return v ? "true" : "false";
    return String(v);
  };
  let acc = 0n;
  let nulos = 0;
  const presentes: Exclude<Valor, null>[] = [];
  for (const v of valores) {
    if (v === null) {
      nulos++;
      continue;
    }
    presentes.push(v);
    acc = (acc + createHash("sha256").update(texto(v), "utf8").digest().readBigUInt64BE(0)) % (1n << 64n);
  }
  const out: Checksum = { hash: acc.toString(16).padStart(16, "0"), nulls: nulos, count: presentes.length };
  if (INTEIROS.has(tipo)) out.sum = presentes.reduce<bigint>((s, v) => s + BigInt(v as number | bigint), 0n).toString();
  else if (tipo.startsWith("decimal(")) out.sum = textoDecimal(presentes.reduce<bigint>((s, v) => s + (v as bigint), 0n), escala);
  else if (tipo === "double" || tipo === "float") out.sum = reprPython(fsum(presentes as number[]));
  return out;
}

/** Canonical values of an Arrow column as lib/lake returns it (read straight from the buffers). */
function valoresDaColuna(vetor: arrow.Vector, tipo: string): Valor[] {
  const saida: Valor[] = [];
  for (const dado of vetor.data) {
    const v = arrow.makeVector(dado);
    for (let i = 0; i < dado.length; i++) {
      if (!v.isValid(i)) saida.push(null);
      else if (tipo === "timestamp") saida.push((dado.values as BigInt64Array)[i]!);
      else if (tipo === "date") saida.push((v.get(i) as number) / 86_400_000);
      else if (tipo.startsWith("decimal(")) saida.push(BigInt(String(v.get(i))));
      else saida.push(v.get(i) as Valor);
    }
  }
  return saida;
}

/** What lib/lake reads at a version, in describe's shape. */
async function descreverKit(t: TabelaDelta, versao?: number): Promise<Descricao> {
  const inst = await t.instantaneo(versao === undefined ? {} : { versao });
  const { tabela } = await t.ler({ versao: inst.versao });
  const schema = inst.esquema.fields.map((f) => ({ name: f.name, type: String(f.type), nullable: f.nullable }));
  const checksums: Record<string, Checksum> = {};
  for (const c of COLUNAS) {
    const tipo = schema.find((f) => f.name === c)!.type;
    checksums[c] = checksum(tipo, valoresDaColuna(tabela.getChild(c)!, tipo));
  }
  return { version: inst.versao, rows: tabela.numRows, schema, partitionColumns: inst.metadata.partitionColumns, files: inst.arquivos.size, checksums };
}

/** The fields every reader must agree on (drops engine names, timings, the first-column alias). */
function comparavel(d: Descricao): Descricao {
  return { version: d.version, rows: d.rows, schema: d.schema, partitionColumns: d.partitionColumns, files: d.files, checksums: d.checksums };
}

function resultado(r: LakeBatchResult | undefined, oque: string): unknown {
  assert.ok(r, `${oque}: no result`);
  assert.ok(r.ok, `${oque} failed: ${r.ok ? "" : r.error}`);
  return r.result;
}

// ---------------------------------------------------------------------------------------------
// The kit's table: rows kept in a model too, so each version's expected content is known.

interface Registro {
  id: bigint;
  nome: string;
  valor: bigint; // cents
  qtd: number | null;
  taxa: number;
  dia: number | null; // days since the epoch
  criado_em: bigint; // µs since the epoch
  ativo: boolean;
  obs: string | null;
}

const DIA_MS = 86_400_000;
const DIAS = ["2025-01-01", "2025-01-02", "2025-01-03", "1969-12-31"].map((d) => Date.parse(`${d}T00:00:00Z`) / DIA_MS);
const EPOCA_2025_US = 1_735_689_600_000_000n;
// Multi-byte UTF-8, a 4-byte emoji, fullwidth letters (U+FF21…, above the surrogates in UTF-16)
// and a tab: string order and stats must follow UTF-8 bytes, as Spark's do.
const SUFIXOS = ["São João", "Ñandú 日本語", "🚀 foguete", "ＡＢＣ largura total", "ação\tcom tab"];

function registro(i: number, variante = 0): Registro {
  const dia = i % 29 === 0 ? null : DIAS[(i + variante) % 4]!;
  let valor = BigInt(((i * 7919) % 200_001) - 100_000 + variante * 13);
  let qtd: number | null = i % 13 === 0 ? null : ((i * 31) % 1000) - 500;
  let taxa = i % 10 === 0 ? i * 0.1 : i / 8 + variante;
  if (i === 7) [valor, qtd, taxa] = [9_999_999_999n, 2_147_483_647, 1e20];
  if (i === 8) [valor, qtd, taxa] = [-9_999_999_999n, -2_147_483_648, 1.5e-7];
  if (i === 9) [valor, taxa] = [0n, 0.1 + 0.2];
  if (i === 11) taxa = -2.5e-5;
  return {
    id: BigInt(i),
    nome: `${variante ? "Mesclado" : "Cliente"} nº ${i} ${SUFIXOS[i % SUFIXOS.length]}${i === 12 ? ` ${"x".repeat(30)}🚀🚀 longo` : ""}`,
    valor,
    qtd,
    taxa,
    dia,
    // Rows of the 1969 partition also carry instants before the epoch (negative µs).
    criado_em: dia === DIAS[3] ? -1n - BigInt(i) * 7n : EPOCA_2025_US + BigInt(i) * 1_000_003n + BigInt(variante),
    ativo: i % 2 === 0,
    obs: i % 3 === 0 ? null : `obs ${i} ção`,
  };
}

function isoDeMicros(us: bigint): string {
  let ms = us / 1000n;
  if (us < 0n && us % 1000n !== 0n) ms -= 1n;
  const resto = us - ms * 1000n;
  return new Date(Number(ms)).toISOString().replace("Z", `${resto.toString().padStart(3, "0")}Z`);
}

/** A model row as a student writes it: bigint, decimal text, "AAAA-MM-DD", ISO instant with µs. */
function linha(r: Registro): Linha {
  return {
    id: r.id,
    nome: r.nome,
    valor: textoDecimal(r.valor, 2),
    qtd: r.qtd,
    taxa: r.taxa,
    dia: r.dia === null ? null : new Date(r.dia * DIA_MS).toISOString().slice(0, 10),
    criado_em: isoDeMicros(r.criado_em),
    ativo: r.ativo,
    obs: r.obs,
  };
}

const TIPOS_KIT: Record<string, string> = {
  id: "long",
  nome: "string",
  valor: "decimal(10,2)",
  qtd: "integer",
  taxa: "double",
  dia: "date",
  criado_em: "timestamp",
  ativo: "boolean",
  obs: "string",
};

function checksumsDoModelo(modelo: Map<bigint, Registro>): Record<string, Checksum> {
  const linhas = [...modelo.values()];
  return Object.fromEntries(COLUNAS.map((c) => [c, checksum(TIPOS_KIT[c]!, linhas.map((r) => r[c as keyof Registro] as Valor))]));
}

/** Byte order of UTF-8, the order Spark compares strings in. */
const textoMaiorIgual = (a: string, b: string) => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8")) >= 0;

// Code points above U+FFFF (the emoji) sort after fullwidth letters in UTF-8 but before them in UTF-16.
const LIMITE_LARGO = "Mesclado nº 1002 ＡＢＣ";

/** Filters answered by Spark (SQL, with its stats-based file skipping), lib/lake and the model. */
const FILTROS: { sql: string; kit: Condicao[]; modelo: (r: Registro) => boolean }[] = [
  { sql: "id > 150", kit: [["id", ">", 150]], modelo: (r) => r.id > 150n },
  { sql: "valor < 0", kit: [["valor", "<", 0]], modelo: (r) => r.valor < 0n },
  { sql: "qtd BETWEEN -100 AND 100", kit: [["qtd", ">=", -100], ["qtd", "<=", 100]], modelo: (r) => r.qtd !== null && r.qtd >= -100 && r.qtd <= 100 },
  { sql: "taxa > 20", kit: [["taxa", ">", 20]], modelo: (r) => r.taxa > 20 },
  {
    sql: "criado_em >= TIMESTAMP'2025-01-01 00:01:40.100300'",
    kit: [["criado_em", ">=", "2025-01-01T00:01:40.100300Z"]],
    modelo: (r) => r.criado_em >= EPOCA_2025_US + 100_100_300n,
  },
  { sql: "criado_em < TIMESTAMP'1970-01-01 00:00:00'", kit: [["criado_em", "<", "1970-01-01T00:00:00Z"]], modelo: (r) => r.criado_em < 0n },
  { sql: "nome >= 'Cliente nº 5'", kit: [["nome", ">=", "Cliente nº 5"]], modelo: (r) => textoMaiorIgual(r.nome, "Cliente nº 5") },
  { sql: `nome >= '${LIMITE_LARGO}'`, kit: [["nome", ">=", LIMITE_LARGO]], modelo: (r) => textoMaiorIgual(r.nome, LIMITE_LARGO) },
  { sql: "obs IS NULL", kit: [["obs", "is null"]], modelo: (r) => r.obs === null },
  { sql: "dia = DATE'1969-12-31'", kit: [["dia", "=", "1969-12-31"]], modelo: (r) => r.dia === -1 },
  { sql: "dia IS NULL", kit: [["dia", "is null"]], modelo: (r) => r.dia === null },
  { sql: "ativo", kit: [["ativo", "=", true]], modelo: (r) => r.ativo },
];

// ---------------------------------------------------------------------------------------------

interface Passo {
  nome: string;
  versao: number;
  esperadas: number;
  modelo: Record<string, Checksum>;
  kit: Descricao;
}

describe("lib/lake x delta-rs x Spark with Delta: the acceptance test", { timeout: 900_000 }, () => {
  const t = tabelaDelta(KIT);
  const passos: Passo[] = [];
  const modelo = new Map<bigint, Registro>();
  const ops: Record<string, unknown> = {};
  let lote1: LakeBatchResult[] = [];
  let lote2: LakeBatchResult[] = [];
  let arquivosAntesDoVacuum: string[] = [];
  let arquivosDepoisDoVacuum: string[] = [];
  let vivosAntesDoVacuum: string[] = [];
  let apagados: string[] = [];
  let kitFinal: Descricao;
  let kitSparkUltima: Descricao;
  let kitSparkV0: Descricao;
  let v0IlegivelNoKit: unknown;
  const tempos: string[] = [];

  async function passo(nome: string, versao: number): Promise<void> {
    const kit = await descreverKit(t, versao);
    passos.push({ nome, versao, esperadas: modelo.size, modelo: checksumsDoModelo(modelo), kit });
  }

  async function dadosDaTabela(): Promise<string[]> {
    const nomes: string[] = [];
    const raiz = `${PREFIXO}/kit_particionada/`;
    for await (const o of clienteMinio().listObjectsV2(BUCKET, raiz, true) as AsyncIterable<{ name?: string }>) {
      if (o.name && !o.name.slice(raiz.length).startsWith("_delta_log/")) nomes.push(o.name.slice(raiz.length));
    }
    return nomes.sort();
  }

  async function checkpointsNoLog(): Promise<string[]> {
    const nomes: string[] = [];
    const log = `${PREFIXO}/kit_particionada/_delta_log/`;
    for await (const o of clienteMinio().listObjectsV2(BUCKET, log, true) as AsyncIterable<{ name?: string }>) {
      if (o.name && /checkpoint/.test(o.name)) nomes.push(o.name.slice(log.length));
    }
    return nomes.sort();
  }

  before(async () => {
    const inicio = Date.now();
    const marcar = (o: string, desde: number) => tempos.push(`${o} ${((Date.now() - desde) / 1000).toFixed(1)} s`);
    await lakeEnv();
    marcar("lake env", inicio);

    // The kit's sequence, one Delta version per write; delta.checkpointInterval=4 makes lib/lake
    // write a checkpoint at version 4 by itself, and checkpoint() another at version 5.
    let t0 = Date.now();
    const v0 = Array.from({ length: 120 }, (_, k) => registro(k + 1));
    ops.criar = await t.criar({
      esquema: { ...TIPOS_KIT, id: "long not null" },
      particionarPor: ["dia"],
      dados: v0.map(linha),
      configuracao: { "delta.checkpointInterval": "4" },
    });
    for (const r of v0) modelo.set(r.id, r);
    await passo("create", 0);

    const a1 = Array.from({ length: 80 }, (_, k) => registro(k + 121));
    ops.append1 = await t.anexar(a1.map(linha));
    for (const r of a1) modelo.set(r.id, r);
    await passo("append", 1);

    const a2 = Array.from({ length: 60 }, (_, k) => registro(k + 201));
    ops.append2 = await t.anexar(a2.map(linha));
    for (const r of a2) modelo.set(r.id, r);
    await passo("second append", 2);

    const excluidos = [...modelo.values()].filter((r) => r.qtd !== null && r.qtd < -300).map((r) => r.id);
    ops.delete = await t.excluir([["qtd", "<", -300]]);
    ops.deleteEsperado = excluidos.length;
    for (const id of excluidos) modelo.delete(id);
    await passo("delete where", 3);

    // Negates valor, nulls obs and edits nome of the active rows in two partitions.
    const alvo = (r: Registro) => r.ativo && (r.dia === DIAS[0] || r.dia === DIAS[3]);
    ops.updateEsperado = [...modelo.values()].filter(alvo).length;
    ops.update = await t.atualizar({
      onde: [["ativo", "=", true], ["dia", "in", ["2025-01-01", "1969-12-31"]]],
      definir: {
        valor: (l) => (String(l.valor).startsWith("-") ? String(l.valor).slice(1) : `-${String(l.valor)}`),
        obs: null,
        nome: (l) => `${String(l.nome)} ✓ atualizado`,
      },
    });
    for (const r of modelo.values()) if (alvo(r)) Object.assign(r, { valor: -r.valor, obs: null, nome: `${r.nome} ✓ atualizado` });
    await passo("update set where", 4);

    // Upsert: existing ids (moved to another partition by the variant), deleted ids, new ids
    // (one beyond 2^53).
    const existentes = [...modelo.keys()].filter((id) => id <= 40n).slice(0, 15);
    const fonte = [...existentes, ...excluidos.slice(0, 5)].map((id) => registro(Number(id), 1));
    fonte.push(...Array.from({ length: 20 }, (_, k) => registro(1001 + k, 1)));
    fonte.push({ ...registro(1021, 1), id: 9_007_199_254_740_993n });
    ops.mergeEsperado = { atualizadas: existentes.length, inseridas: fonte.length - existentes.length };
    ops.merge = await t.mesclar(fonte.map(linha), { chaves: ["id"] });
    for (const r of fonte) modelo.set(r.id, r);
    await passo("merge", 5);

    ops.checkpoint = await t.checkpoint();
    ops.checkpoints = await checkpointsNoLog();
    ops.arquivosAntesDoOptimize = (await t.instantaneo()).arquivos.size;
    ops.optimize = await t.otimizar();
    await passo("optimize", 6);
    marcar("lib/lake writes and reads (7 versions)", t0);

    // Every version by delta-rs and Spark while their files still exist, plus the reverse direction.
    t0 = Date.now();
    const versoes = passos.map((p) => p.versao);
    lote1 = await lakeInteropBatch([
      ...versoes.map((v) => ["describe", "--engine", "deltars", "--uri", KIT, "--version", String(v), ...colunaArgs]),
      ["spark-write", "--uri", SPARK, "--rows", String(SPARK_ROWS), "--partition-by", "dia"],
      ["spark-update", "--uri", SPARK, "--set", "valor = -valor, obs = concat('atualizado ç ', id), criado_em = criado_em + INTERVAL 1 MICROSECOND", "--where", "id % 7 = 0"],
      ...versoes.map((v) => ["describe", "--engine", "spark", "--uri", KIT, "--version", String(v), ...colunaArgs]),
      ["describe", "--engine", "spark", "--uri", SPARK, ...colunaArgs],
      ["describe", "--engine", "spark", "--uri", SPARK, "--version", "0", ...colunaArgs],
      ["describe", "--engine", "deltars", "--uri", SPARK, ...colunaArgs],
      ["describe", "--engine", "deltars", "--uri", SPARK, "--version", "0", ...colunaArgs],
    ]);
    marcar(`batch 1 (${lote1.length} commands, per command ${lote1.map((r) => r.seconds.toFixed(1)).join(", ")} s)`, t0);

    t0 = Date.now();
    kitSparkUltima = await descreverKit(tabelaDelta(SPARK));
    kitSparkV0 = await descreverKit(tabelaDelta(SPARK), 0);
    marcar("lib/lake reads Spark's table", t0);

    // Vacuum with no retention, "an hour from now": every file the latest version does not use goes.
    t0 = Date.now();
    arquivosAntesDoVacuum = await dadosDaTabela();
    vivosAntesDoVacuum = [...(await t.instantaneo()).arquivos.keys()].sort();
    const vac = await t.vacuum({ retencaoHoras: 0, verificarRetencao: false, agora: new Date(Date.now() + 3_600_000) });
    apagados = [...vac.arquivos].sort();
    ops.vacuum = vac;
    arquivosDepoisDoVacuum = await dadosDaTabela();
    kitFinal = await descreverKit(t);
    v0IlegivelNoKit = await t.ler({ versao: 0 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    marcar("vacuum and lib/lake read", t0);

    t0 = Date.now();
    lote2 = await lakeInteropBatch([
      ["describe", "--engine", "deltars", "--uri", KIT, ...colunaArgs],
      ["describe", "--engine", "deltars", "--uri", KIT, "--version", "0", ...colunaArgs],
      ["describe", "--engine", "spark", "--uri", KIT, ...colunaArgs],
      ...FILTROS.map((f) => ["spark-sql", "--uri", KIT, "--sql", `SELECT count(*) AS n FROM {table} WHERE ${f.sql}`]),
    ]);
    marcar(`batch 2 (${lote2.length} commands, per command ${lote2.map((r) => r.seconds.toFixed(1)).join(", ")} s)`, t0);
    marcar("total", inicio);
    for (const linhaTempo of tempos) console.log(`# ${linhaTempo}`);
  });

  after(async () => {
    await removerPrefixo(BUCKET, PREFIXO);
  });

  const n = () => passos.length;
  const deltars = (k: number) => resultado(lote1[k], `delta-rs describe of version ${passos[k]?.versao}`) as Descricao;
  const spark = (k: number) => resultado(lote1[n() + 2 + k], `Spark describe of version ${passos[k]?.versao}`) as Descricao;

  test("lib/lake's operations commit versions 0-6 with the expected row counts and effects", () => {
    assert.deepEqual(
      passos.map((p) => [p.nome, p.versao, p.kit.version, p.kit.rows]),
      passos.map((p) => [p.nome, p.versao, p.versao, p.esperadas]),
    );
    assert.deepEqual(
      passos.map((p) => p.esperadas),
      [120, 200, 260, 260 - (ops.deleteEsperado as number), 260 - (ops.deleteEsperado as number), 260 - (ops.deleteEsperado as number) + (ops.mergeEsperado as { inseridas: number }).inseridas, passos[5]!.esperadas],
    );
    assert.ok((ops.deleteEsperado as number) > 20, "the delete removes a good share of rows");
    assert.equal((ops.delete as { linhasAfetadas: number }).linhasAfetadas, ops.deleteEsperado);
    assert.equal((ops.update as { linhasAfetadas: number }).linhasAfetadas, ops.updateEsperado);
    const merge = ops.merge as { linhasAtualizadas: number; linhasInseridas: number };
    assert.deepEqual({ atualizadas: merge.linhasAtualizadas, inseridas: merge.linhasInseridas }, ops.mergeEsperado);
    assert.equal(ops.checkpoint, 5);
    // One checkpoint written by the interval (version 4), one by checkpoint() (version 5).
    assert.deepEqual(ops.checkpoints, ["00000000000000000004.checkpoint.parquet", "00000000000000000005.checkpoint.parquet", "_last_checkpoint"]);
    const opt = ops.optimize as { versao: number; particoesCompactadas: number; arquivosAdicionados: number; arquivosRemovidos: number };
    assert.equal(opt.versao, 6);
    assert.ok(opt.particoesCompactadas > 0 && opt.arquivosRemovidos > opt.arquivosAdicionados, JSON.stringify(opt));
    assert.equal(passos[6]!.kit.files, (ops.arquivosAntesDoOptimize as number) - opt.arquivosRemovidos + opt.arquivosAdicionados);
  });

  test("lib/lake reads back exactly what was written at every version (checksums of the model)", () => {
    for (const p of passos) {
      assert.deepEqual(p.kit.checksums, p.modelo, `version ${p.versao} (${p.nome})`);
      assert.deepEqual(p.kit.partitionColumns, ["dia"]);
      assert.deepEqual(
        p.kit.schema,
        COLUNAS.map((c) => ({ name: c, type: TIPOS_KIT[c], nullable: c !== "id" })),
      );
    }
  });

  test("delta-rs reads every version of the kit's table identically to lib/lake", () => {
    for (let k = 0; k < n(); k++) assert.deepEqual(comparavel(deltars(k)), passos[k]!.kit, `version ${passos[k]!.versao} (${passos[k]!.nome})`);
  });

  test("Spark with Delta reads every version of the kit's table identically to lib/lake", () => {
    for (let k = 0; k < n(); k++) assert.deepEqual(comparavel(spark(k)), passos[k]!.kit, `version ${passos[k]!.versao} (${passos[k]!.nome})`);
  });

  test("vacuum (retention 0, clock moved ahead) deletes exactly the unreferenced files; the latest version still reads identically everywhere", () => {
    assert.deepEqual(arquivosDepoisDoVacuum, vivosAntesDoVacuum);
    assert.deepEqual(apagados, arquivosAntesDoVacuum.filter((a) => !vivosAntesDoVacuum.includes(a)));
    assert.ok(apagados.length > 10, `vacuum deleted ${apagados.length} files`);
    const esperado = passos[6]!.kit;
    assert.deepEqual(kitFinal, esperado);
    assert.deepEqual(comparavel(resultado(lote2[0], "delta-rs describe after vacuum") as Descricao), esperado);
    assert.deepEqual(comparavel(resultado(lote2[2], "Spark describe after vacuum") as Descricao), esperado);
    // Old versions lost their files: every reader now fails on them.
    assert.ok(v0IlegivelNoKit instanceof Error, "lib/lake can no longer read version 0");
    assert.equal(lote2[1]?.ok, false, "delta-rs can no longer read version 0");
  });

  test("filters give the same counts in Spark (with its stats-based file skipping), lib/lake and the model", async () => {
    const latest = [...modelo.values()];
    for (const [k, f] of FILTROS.entries()) {
      const q = resultado(lote2[3 + k], `spark-sql ${f.sql}`) as { rows: { n: number }[] };
      const esperado = latest.filter(f.modelo).length;
      const kit = (await t.ler({ onde: f.kit, colunas: ["id"] })).tabela.numRows;
      assert.deepEqual({ filtro: f.sql, spark: q.rows[0]?.n, kit }, { filtro: f.sql, spark: esperado, kit: esperado });
    }
  });

  test("Spark writes a partitioned table and UPDATEs it (the reverse direction's input)", () => {
    const w = resultado(lote1[n()], "spark-write") as { version: number; rows: number };
    assert.deepEqual([w.version, w.rows], [0, SPARK_ROWS]);
    const u = resultado(lote1[n() + 1], "spark-update") as { version: number; updatedRows: number };
    assert.deepEqual([u.version, u.updatedRows], [1, Math.floor(SPARK_ROWS / 7)]);
  });

  test("Spark's data files store the timestamp as INT96 (Spark's default), which lib/lake converts", async () => {
    const s = tabelaDelta(SPARK);
    const [chave] = [...(await s.instantaneo()).arquivos.keys()];
    const esquema = arrow.tableFromIPC(pw.readSchema(await s.arm.ler(chave!)).intoIPCStream()).schema;
    // The Rust Parquet reader maps INT96 to nanoseconds without a time zone.
    assert.equal(String(esquema.fields.find((f) => f.name === "criado_em")?.type), "Timestamp<NANOSECOND>");
  });

  test("lib/lake reads Spark's updated table (latest and version 0) exactly as Spark and delta-rs do", () => {
    const base = 2 * n() + 2;
    const [sparkUltima, sparkV0, deltarsUltima, deltarsV0] = [0, 1, 2, 3].map((k) => comparavel(resultado(lote1[base + k], `describe ${k}`) as Descricao));
    assert.deepEqual(kitSparkUltima, sparkUltima);
    assert.deepEqual(kitSparkUltima, deltarsUltima);
    assert.deepEqual(kitSparkV0, sparkV0);
    assert.deepEqual(kitSparkV0, deltarsV0);
    assert.equal(kitSparkUltima.version, 1);
    assert.equal(kitSparkUltima.rows, SPARK_ROWS);
    assert.deepEqual(kitSparkUltima.partitionColumns, ["dia"]);
    // The UPDATE changed valor, obs and criado_em only.
    for (const c of COLUNAS) {
      const mudou = ["valor", "obs", "criado_em"].includes(c);
      assert.equal(kitSparkUltima.checksums[c]!.hash !== kitSparkV0.checksums[c]!.hash, mudou, c);
    }
    assert.equal(kitSparkV0.checksums.obs!.nulls, Math.floor(SPARK_ROWS / 3));
    assert.equal(kitSparkUltima.checksums.obs!.nulls, Math.floor(SPARK_ROWS / 3) - Math.floor(SPARK_ROWS / 21));
  });
});
