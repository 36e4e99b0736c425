// The issue's acceptance test for lib/lake: every table the kit writes reads identically (row
// count, schema, a checksum per column) in lib/lake, delta-rs and Spark with Delta — after two
// appends, a delete, an update, a merge, a checkpoint, an optimize and a vacuum, with partitions —
// and a partitioned table written and then UPDATEd by Spark reads correctly in lib/lake. The
// referee is checked too (stack/lake-env.ts + stack/lake_interop.py): a table delta-rs writes
// reads identically in Spark and lib/lake, ad hoc SQL runs, and CLI failures carry its stderr.
// Runs against the real MinIO (bucket raw, a unique _testes/<uuid>/ prefix removed at the end);
// the Spark side runs in two JVMs only (before and after the vacuum, which makes old versions
// unreadable).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import * as arrow from "apache-arrow";
import * as pw from "parquet-wasm";
import { type Condicao, type Linha, clienteMinio, removerPrefixo, tabelaDelta } from "../../lib/lake/index";
import { lakeEnv, lakeInterop, lakeInteropBatch, type LakeBatchResult } from "../../stack/lake-env";
import {
  type Checksum,
  COLUNAS,
  type Descricao,
  type Valor,
  checksum,
  colunaArgs,
  comparavel,
  descreverKit,
  resultado,
  textoDecimal,
} from "../apoio/lake-interop";

const BUCKET = "raw";
const PREFIXO = `_testes/${randomUUID()}`;
const KIT = `s3://${BUCKET}/${PREFIXO}/kit_particionada`;
const SPARK = `s3://${BUCKET}/${PREFIXO}/spark_particionada`;
const DELTARS = `s3://${BUCKET}/${PREFIXO}/deltars_particionada`;
/** Rows of the tables lake_interop.py generates (the Spark one and the delta-rs one: the same rows). */
const SPARK_ROWS = 500;

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
  return Object.fromEntries(
    COLUNAS.map((c) => [
      c,
      checksum(
        TIPOS_KIT[c]!,
        linhas.map((r) => r[c as keyof Registro] as Valor),
      ),
    ]),
  );
}

/** Byte order of UTF-8, the order Spark compares strings in. */
const textoMaiorIgual = (a: string, b: string) => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8")) >= 0;

// Code points above U+FFFF (the emoji) sort after fullwidth letters in UTF-8 but before them in UTF-16.
const LIMITE_LARGO = "Mesclado nº 1002 ＡＢＣ";

/** Filters answered by Spark (SQL, with its stats-based file skipping), lib/lake and the model. */
const FILTROS: { sql: string; kit: Condicao[]; modelo: (r: Registro) => boolean }[] = [
  { sql: "id > 150", kit: [["id", ">", 150]], modelo: (r) => r.id > 150n },
  { sql: "valor < 0", kit: [["valor", "<", 0]], modelo: (r) => r.valor < 0n },
  {
    sql: "qtd BETWEEN -100 AND 100",
    kit: [
      ["qtd", ">=", -100],
      ["qtd", "<=", 100],
    ],
    modelo: (r) => r.qtd !== null && r.qtd >= -100 && r.qtd <= 100,
  },
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
  let kitDeltars: Descricao;
  let deltarsWrite: { version: number; rows: number };
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
    // delta-rs writes its table first, so the one Spark session of batch 1 can read it too.
    deltarsWrite = (await lakeInterop([
      "deltars-write",
      "--uri",
      DELTARS,
      "--rows",
      String(SPARK_ROWS),
      "--partition-by",
      "dia",
    ])) as typeof deltarsWrite;

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
      onde: [
        ["ativo", "=", true],
        ["dia", "in", ["2025-01-01", "1969-12-31"]],
      ],
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
      [
        "spark-update",
        "--uri",
        SPARK,
        "--set",
        "valor = -valor, obs = concat('atualizado ç ', id), criado_em = criado_em + INTERVAL 1 MICROSECOND",
        "--where",
        "id % 7 = 0",
      ],
      ...versoes.map((v) => ["describe", "--engine", "spark", "--uri", KIT, "--version", String(v), ...colunaArgs]),
      ["describe", "--engine", "spark", "--uri", SPARK, ...colunaArgs],
      ["describe", "--engine", "spark", "--uri", SPARK, "--version", "0", ...colunaArgs],
      ["describe", "--engine", "deltars", "--uri", SPARK, ...colunaArgs],
      ["describe", "--engine", "deltars", "--uri", SPARK, "--version", "0", ...colunaArgs],
      ["describe", "--engine", "spark", "--uri", DELTARS, ...colunaArgs],
      ["describe", "--engine", "deltars", "--uri", DELTARS, ...colunaArgs],
      ["spark-sql", "--uri", SPARK, "--sql", "SELECT count(*) AS n FROM {table} WHERE id % 7 = 0 AND valor IS NOT NULL"],
    ]);
    marcar(`batch 1 (${lote1.length} commands, per command ${lote1.map((r) => r.seconds.toFixed(1)).join(", ")} s)`, t0);

    t0 = Date.now();
    kitSparkUltima = await descreverKit(tabelaDelta(SPARK));
    kitSparkV0 = await descreverKit(tabelaDelta(SPARK), 0);
    kitDeltars = await descreverKit(tabelaDelta(DELTARS));
    marcar("lib/lake reads Spark's and delta-rs's tables", t0);

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
      [
        120,
        200,
        260,
        260 - (ops.deleteEsperado as number),
        260 - (ops.deleteEsperado as number),
        260 - (ops.deleteEsperado as number) + (ops.mergeEsperado as { inseridas: number }).inseridas,
        passos[5]!.esperadas,
      ],
    );
    assert.ok((ops.deleteEsperado as number) > 20, "the delete removes a good share of rows");
    assert.equal((ops.delete as { linhasAfetadas: number }).linhasAfetadas, ops.deleteEsperado);
    assert.equal((ops.update as { linhasAfetadas: number }).linhasAfetadas, ops.updateEsperado);
    const merge = ops.merge as { linhasAtualizadas: number; linhasInseridas: number };
    assert.deepEqual({ atualizadas: merge.linhasAtualizadas, inseridas: merge.linhasInseridas }, ops.mergeEsperado);
    assert.equal(ops.checkpoint, 5);
    // One checkpoint written by the interval (version 4), one by checkpoint() (version 5).
    assert.deepEqual(ops.checkpoints, [
      "00000000000000000004.checkpoint.parquet",
      "00000000000000000005.checkpoint.parquet",
      "_last_checkpoint",
    ]);
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
    for (let k = 0; k < n(); k++)
      assert.deepEqual(comparavel(deltars(k)), passos[k]!.kit, `version ${passos[k]!.versao} (${passos[k]!.nome})`);
  });

  test("Spark with Delta reads every version of the kit's table identically to lib/lake", () => {
    for (let k = 0; k < n(); k++)
      assert.deepEqual(comparavel(spark(k)), passos[k]!.kit, `version ${passos[k]!.versao} (${passos[k]!.nome})`);
  });

  test("vacuum (retention 0, clock moved ahead) deletes exactly the unreferenced files; the latest version still reads identically everywhere", () => {
    assert.deepEqual(arquivosDepoisDoVacuum, vivosAntesDoVacuum);
    assert.deepEqual(
      apagados,
      arquivosAntesDoVacuum.filter((a) => !vivosAntesDoVacuum.includes(a)),
    );
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
    const [sparkUltima, sparkV0, deltarsUltima, deltarsV0] = [0, 1, 2, 3].map((k) =>
      comparavel(resultado(lote1[base + k], `describe ${k}`) as Descricao),
    );
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
    assert.deepEqual(
      kitSparkUltima.schema.map((f) => `${f.name}:${f.type}`),
      [
        "id:long",
        "nome:string",
        "valor:decimal(10,2)",
        "qtd:integer",
        "taxa:double",
        "dia:date",
        "criado_em:timestamp",
        "ativo:boolean",
        "obs:string",
      ],
    );
    assert.equal(kitSparkUltima.checksums.id!.sum, String((SPARK_ROWS * (SPARK_ROWS + 1)) / 2));
  });

  // The referee itself: what lets the checks above trust delta-rs and Spark.
  const extra = (k: number, oque: string) => resultado(lote1[2 * n() + 6 + k], oque);

  test("delta-rs writes a partitioned table that Spark and lib/lake read identically, with the same rows as Spark's", () => {
    assert.deepEqual([deltarsWrite.version, deltarsWrite.rows], [0, SPARK_ROWS]);
    const porSpark = comparavel(extra(0, "Spark describe of the delta-rs table") as Descricao);
    const porDeltars = comparavel(extra(1, "delta-rs describe of its own table") as Descricao);
    assert.deepEqual(porSpark, porDeltars);
    assert.deepEqual(kitDeltars, porDeltars);
    // Both writers generate the same rows: the delta-rs table matches Spark's version 0 cell for cell.
    assert.deepEqual(porDeltars.checksums, kitSparkV0.checksums);
    assert.deepEqual(porDeltars.schema, kitSparkV0.schema);
  });

  test("spark-sql runs ad hoc SQL over {table}", () => {
    const q = extra(2, "spark-sql") as { rows: { n: number }[] };
    assert.deepEqual(q.rows, [{ n: Math.floor(SPARK_ROWS / 7) }]);
  });

  test("lake_interop failures reject with the CLI's stderr", async () => {
    await assert.rejects(
      lakeInterop(["describe", "--engine", "deltars", "--uri", `s3://${BUCKET}/${PREFIXO}/nao_existe`]),
      /lake_interop describe .*falhou[\s\S]*describe s3:\/\/raw\/.*nao_existe: TableNotFoundError/,
    );
    await assert.rejects(lakeInterop(["describe", "--engine", "deltars", "--uri", "nope"]), /esperado s3:\/\/bucket\/caminho/);
  });
});
