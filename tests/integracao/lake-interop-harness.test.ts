// The Delta Lake interop harness itself (stack/lake-env.ts + stack/lake_interop.py) against the
// running MinIO: a table written by Spark (partitioned, then UPDATEd) and one written by delta-rs
// must describe identically in both engines, so lib/lake's tests can trust it as the referee.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { removerPrefixo } from "../../lib/lake";
import { lakeEnv, lakeInterop, lakeInteropBatch, type LakeBatchResult } from "../../stack/lake-env";

const BUCKET = "raw";
const PREFIX = `_testes/${randomUUID()}`;
const SPARK_TABLE = `s3://${BUCKET}/${PREFIX}/spark_particionada`;
const DELTARS_TABLE = `s3://${BUCKET}/${PREFIX}/deltars_particionada`;
const ROWS = 500;
const ALL_COLUMNS = ["id", "nome", "valor", "qtd", "taxa", "dia", "criado_em", "ativo", "obs"];
const columnArgs = ALL_COLUMNS.flatMap((c) => ["--column", c]);

interface Checksum {
  hash: string;
  nulls: number;
  count: number;
  sum?: string;
}
interface Description {
  engine: string;
  version: number;
  rows: number;
  schema: { name: string; type: string; nullable: boolean }[];
  partitionColumns: string[];
  files: number;
  checksums: Record<string, Checksum>;
}

/** What both engines must agree on (everything but the engine's name and timings). */
function comparable(d: Description) {
  return { version: d.version, rows: d.rows, schema: d.schema, partitionColumns: d.partitionColumns, files: d.files, checksums: d.checksums };
}

function ok(r: LakeBatchResult | undefined, what: string): unknown {
  assert.ok(r, `${what}: no result`);
  assert.ok(r.ok, `${what} failed: ${r.ok ? "" : r.error}`);
  return r.result;
}

describe("lake interop harness (delta-rs x Spark on MinIO)", { timeout: 1_200_000 }, () => {
  let spark: LakeBatchResult[];
  let deltarsWrite: { version: number; rows: number };

  before(async () => {
    const started = Date.now();
    await lakeEnv();
    console.log(`# lake env ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    // delta-rs writes its table first, so one Spark session can then do all the Spark side.
    deltarsWrite = (await lakeInterop(["deltars-write", "--uri", DELTARS_TABLE, "--rows", String(ROWS), "--partition-by", "dia"])) as typeof deltarsWrite;
    const t0 = Date.now();
    spark = await lakeInteropBatch([
      ["spark-write", "--uri", SPARK_TABLE, "--rows", String(ROWS), "--partition-by", "dia"],
      ["spark-update", "--uri", SPARK_TABLE, "--set", "valor = valor * 2", "--where", "id % 7 = 0"],
      ["describe", "--engine", "spark", "--uri", SPARK_TABLE, ...columnArgs],
      ["describe", "--engine", "spark", "--uri", SPARK_TABLE, "--version", "0", ...columnArgs],
      ["describe", "--engine", "spark", "--uri", DELTARS_TABLE, ...columnArgs],
      ["spark-sql", "--uri", SPARK_TABLE, "--sql", "SELECT count(*) AS n FROM {table} WHERE id % 7 = 0 AND valor IS NOT NULL"],
    ]);
    const seconds = spark.map((r) => r.seconds.toFixed(1)).join(", ");
    console.log(`# spark batch: ${((Date.now() - t0) / 1000).toFixed(1)} s in all; per command ${seconds} s`);
  });

  after(async () => {
    await removerPrefixo(BUCKET, PREFIX);
  });

  test("Spark writes a partitioned table and UPDATEs it", () => {
    const write = ok(spark[0], "spark-write") as { version: number; rows: number };
    assert.deepEqual([write.version, write.rows], [0, ROWS]);
    const update = ok(spark[1], "spark-update") as { version: number; updatedRows: number };
    assert.equal(update.version, 1);
    assert.equal(update.updatedRows, Math.floor(ROWS / 7));
  });

  test("delta-rs and Spark describe the updated Spark table identically", async () => {
    const bySpark = ok(spark[2], "describe spark") as Description;
    const byDeltars = (await lakeInterop(["describe", "--engine", "deltars", "--uri", SPARK_TABLE, ...columnArgs])) as Description;
    assert.deepEqual(comparable(byDeltars), comparable(bySpark));
    assert.equal(bySpark.version, 1);
    assert.equal(bySpark.rows, ROWS);
    assert.deepEqual(bySpark.partitionColumns, ["dia"]);
    assert.deepEqual(
      bySpark.schema.map((f) => `${f.name}:${f.type}`),
      ["id:long", "nome:string", "valor:decimal(10,2)", "qtd:integer", "taxa:double", "dia:date", "criado_em:timestamp", "ativo:boolean", "obs:string"],
    );
    assert.equal(bySpark.checksums.obs?.nulls, Math.floor(ROWS / 3));
    assert.equal(bySpark.checksums.id?.sum, String((ROWS * (ROWS + 1)) / 2));
  });

  test("time travel: version 0 reads the same in both engines and differs from version 1 only in valor", async () => {
    const v0Spark = ok(spark[3], "describe spark --version 0") as Description;
    const v0Deltars = (await lakeInterop(["describe", "--engine", "deltars", "--uri", SPARK_TABLE, "--version", "0", ...columnArgs])) as Description;
    assert.deepEqual(comparable(v0Deltars), comparable(v0Spark));
    const v1 = ok(spark[2], "describe spark") as Description;
    assert.notEqual(v0Spark.checksums.valor?.hash, v1.checksums.valor?.hash);
    for (const c of ALL_COLUMNS.filter((c) => c !== "valor")) assert.deepEqual(v1.checksums[c], v0Spark.checksums[c], c);
  });

  test("delta-rs writes a partitioned table that Spark reads identically, with the same rows as Spark's", async () => {
    assert.deepEqual([deltarsWrite.version, deltarsWrite.rows], [0, ROWS]);
    const bySpark = ok(spark[4], "describe spark (delta-rs table)") as Description;
    const byDeltars = (await lakeInterop(["describe", "--engine", "deltars", "--uri", DELTARS_TABLE, ...columnArgs])) as Description;
    assert.deepEqual(comparable(bySpark), comparable(byDeltars));
    // Both writers generate the same rows: the delta-rs table matches Spark's version 0 cell for cell.
    const sparkV0 = ok(spark[3], "describe spark --version 0") as Description;
    assert.deepEqual(byDeltars.checksums, sparkV0.checksums);
    assert.deepEqual(byDeltars.schema, sparkV0.schema);
  });

  test("spark-sql runs ad hoc SQL over {table}", () => {
    const q = ok(spark[5], "spark-sql") as { rows: { n: number }[] };
    assert.deepEqual(q.rows, [{ n: Math.floor(ROWS / 7) }]);
  });

  test("failures reject with the CLI's stderr", async () => {
    await assert.rejects(lakeInterop(["describe", "--engine", "deltars", "--uri", `s3://${BUCKET}/${PREFIX}/nao_existe`]), /lake_interop describe .*falhou[\s\S]*describe s3:\/\/raw\/.*nao_existe: TableNotFoundError/);
    await assert.rejects(lakeInterop(["describe", "--engine", "deltars", "--uri", "nope"]), /esperado s3:\/\/bucket\/caminho/);
  });
});
