// lib/lake against the real MinIO (bucket raw, a unique _testes/<uuid>/ prefix removed at the
// end): what only the real path can prove. A write and a read through S3 (sizes in the log equal
// the objects, pruning fetches one day's files), MinIO honouring `If-None-Match: *` alone and
// under a race, concurrent writers on it, a writer SIGKILLed after uploading, and delta-rs
// reading our tables and we reading its. Everything else about the log and the operations runs
// with no service in tests/unidade/lake.test.ts.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { config, repoRoot } from "../../lib/config";
import { ArmazenamentoS3, clienteMinio, lerAcoes, removerPrefixo, tabelaDelta } from "../../lib/lake/index";
import { lakeEnv } from "../../stack/lake-env";
import { ESQUEMA, EXTREMO, ids, provarEscritoresConcorrentes, vendas } from "../apoio/lake";

const BUCKET = "raw";
const PREFIXO = `_testes/${randomUUID()}`;
const url = (nome: string) => `s3://${BUCKET}/${PREFIXO}/${nome}`;

after(async () => {
  await removerPrefixo(BUCKET, PREFIXO);
});

async function objetos(prefixo: string): Promise<{ nome: string; tamanho: number }[]> {
  const lista: { nome: string; tamanho: number }[] = [];
  for await (const o of clienteMinio().listObjectsV2(BUCKET, `${PREFIXO}/${prefixo}/`, true) as AsyncIterable<{
    name?: string;
    size: number;
  }>) {
    if (o.name) lista.push({ nome: o.name.slice(`${PREFIXO}/${prefixo}/`.length), tamanho: o.size });
  }
  return lista;
}

async function lerTexto(chave: string): Promise<string> {
  const s = await clienteMinio().getObject(BUCKET, `${PREFIXO}/${chave}`);
  const partes: Buffer[] = [];
  for await (const p of s) partes.push(p as Buffer);
  return Buffer.concat(partes).toString("utf8");
}

describe("the real MinIO path", () => {
  test("a write and a read through S3: the log's sizes are the objects', values come back exactly, pruning fetches one day", async () => {
    const t = tabelaDelta(url("vendas"));
    const r0 = await t.criar({ esquema: ESQUEMA, particionarPor: ["dia"], dados: vendas(300) });
    const r1 = await t.anexar([...vendas(30, 300), EXTREMO]);
    assert.deepEqual([r0.versao, r0.arquivosAdicionados, r1.versao, r1.arquivosAdicionados], [0, 3, 1, 3]);
    const v0 = lerAcoes(await lerTexto("vendas/_delta_log/00000000000000000000.json"), "v0");
    assert.deepEqual((v0.find((a) => "protocol" in a) as { protocol: unknown }).protocol, { minReaderVersion: 1, minWriterVersion: 2 });
    // Every add's size is the size of the object MinIO holds.
    const arquivos = new Map((await objetos("vendas")).map((o) => [o.nome, o.tamanho]));
    const inst = await t.instantaneo();
    assert.equal(inst.arquivos.size, 6);
    for (const [chave, add] of inst.arquivos) assert.equal(arquivos.get(chave), add.size, chave);
    const [l] = await t.linhas({ onde: [["id", "=", 9_007_199_254_740_993n]] });
    assert.deepEqual(
      [l!.id, l!.cliente, l!.valor, (l!.ts as Date).toISOString(), l!.qtd],
      [9_007_199_254_740_993n, "ção 🚀", "-9999999999.99", "1969-12-31T23:59:59.999Z", -2147483648],
    );
    const todos = await t.ler();
    assert.equal(todos.tabela.numRows, 331);
    const porDia = await t.ler({ onde: [["dia", "=", "2024-03-02"]] });
    assert.deepEqual([porDia.arquivosLidos, porDia.arquivosIgnorados], [2, 4]);
    assert.ok(porDia.bytesLidos > 0 && porDia.bytesLidos < todos.bytesLidos);
    // Exactly the ids of that day (id % 3 === 1 among 0..329): an empty answer must fail here.
    assert.deepEqual(
      ids(await t.linhas({ onde: [["dia", "=", "2024-03-02"]] })),
      Array.from({ length: 110 }, (_, k) => 3 * k + 1),
    );
    assert.equal(await t.contar(), 331);
  });

  test("MinIO honours If-None-Match: * — a second write of a commit key is refused, and of 8 racing writers one wins", async () => {
    const arm = new ArmazenamentoS3(BUCKET, `${PREFIXO}/condicional`);
    assert.equal(await arm.gravarSeAusente("_delta_log/00000000000000000000.json", Buffer.from("primeiro")), true);
    assert.equal(await arm.gravarSeAusente("_delta_log/00000000000000000000.json", Buffer.from("segundo")), false);
    assert.equal(Buffer.from(await arm.ler("_delta_log/00000000000000000000.json")).toString(), "primeiro");
    const corrida = await Promise.all(
      Array.from({ length: 8 }, (_, k) => arm.gravarSeAusente("_delta_log/00000000000000000001.json", Buffer.from(`escritor ${k}`))),
    );
    assert.equal(corrida.filter(Boolean).length, 1, JSON.stringify(corrida));
    const vencedor = corrida.indexOf(true);
    assert.equal(Buffer.from(await arm.ler("_delta_log/00000000000000000001.json")).toString(), `escritor ${vencedor}`);
  });

  test("two writers appending concurrently on MinIO: every commit lands once, no version overwritten, rows add up", {
    timeout: 240_000,
  }, async () => {
    await tabelaDelta(url("concorrencia")).criar({ esquema: ESQUEMA, particionarPor: ["dia"] });
    await provarEscritoresConcorrentes(() => tabelaDelta(url("concorrencia")));
  });

  test("a writer killed after uploading data files: the table still reads its last version; vacuum removes the orphans only after retention", async () => {
    const local = url("morto");
    const t = tabelaDelta(local);
    await t.criar({ esquema: ESQUEMA, particionarPor: ["dia"], dados: vendas(30) });
    const script = `
      import { tabelaDelta } from ${JSON.stringify(join(repoRoot(), "lib/lake/index.ts"))};
      import { gravarArquivos } from ${JSON.stringify(join(repoRoot(), "lib/lake/escrita.ts"))};
      import { conformar } from ${JSON.stringify(join(repoRoot(), "lib/lake/conformar.ts"))};
      const t = tabelaDelta(${JSON.stringify(local)});
      const inst = await t.instantaneo();
      const linhas = Array.from({ length: 50 }, (_, i) => ({ id: BigInt(90000 + i), dia: "2024-03-0" + (1 + (i % 3)) }));
      const g = await gravarArquivos(t.arm, inst.esquema, ["dia"], conformar(linhas, inst.esquema), { compressao: "snappy", dataChange: true });
      console.log("enviados " + g.adds.length);
      process.kill(process.pid, "SIGKILL");
    `;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: repoRoot(),
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(r.signal, "SIGKILL", r.stderr);
    assert.match(r.stdout, /enviados 3/);
    const parquets = (await objetos("morto")).filter((o) => o.nome.endsWith(".parquet") && !o.nome.startsWith("_"));
    assert.equal(parquets.length, 6, "3 committed + 3 orphans");
    assert.equal((await t.instantaneo()).versao, 0);
    assert.equal((await t.linhas()).length, 30);
    assert.deepEqual((await t.vacuum()).arquivos, [], "orphans are younger than the retention period");
    const removidos = await t.vacuum({ agora: new Date(Date.now() + 8 * 86_400_000) });
    assert.equal(removidos.arquivos.length, 3);
    assert.equal((await t.linhas()).length, 30);
  });
});

// --- delta-rs interop (Python with the deltalake package) -------------------------------------

// The stack's lake environment (stack/lake-env.ts): delta-rs from PyPI, installed by `stack up`.
let PY = "";
const { minio } = config();
const AMBIENTE_PY = {
  ...process.env,
  LAKE_S3_ENDPOINT: `http://${minio.host}:${minio.port}`,
  AWS_ACCESS_KEY_ID: minio.accessKey,
  AWS_SECRET_ACCESS_KEY: minio.secretKey,
};

const PY_PRELUDIO = `
import json, sys, datetime, decimal
import pyarrow as pa
from deltalake import DeltaTable, write_deltalake
import os
opts = {"AWS_ENDPOINT_URL": os.environ["LAKE_S3_ENDPOINT"], "AWS_ACCESS_KEY_ID": os.environ["AWS_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": os.environ["AWS_SECRET_ACCESS_KEY"], "AWS_REGION": "us-east-1", "AWS_ALLOW_HTTP": "true"}
def sair(obj):
    # delta-rs's runtime can abort during interpreter teardown: leave right after answering.
    print(json.dumps(obj, default=enc), flush=True)
    os._exit(0)
def enc(o):
    if isinstance(o, (datetime.date, datetime.datetime)): return o.isoformat()
    if isinstance(o, decimal.Decimal): return str(o)
    return str(o)
`;

function python(codigo: string, ...args: string[]): unknown {
  const r = spawnSync(PY, ["-c", PY_PRELUDIO + codigo, ...args], { encoding: "utf8", timeout: 120_000, env: AMBIENTE_PY });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
}

describe("delta-rs reads our tables and we read delta-rs's", () => {
  before(async () => {
    PY = (await lakeEnv()).python;
  });

  test("delta-rs reads every type exactly, at every version, through our checkpoint and after rewrites", async () => {
    const local = url("interop");
    const t = tabelaDelta(local, { intervaloCheckpoint: 2 });
    await t.criar({ esquema: ESQUEMA, particionarPor: ["dia"], dados: vendas(60) });
    await t.anexar([
      {
        id: 9_007_199_254_740_993n,
        cliente: "ção",
        valor: "-0.01",
        dia: "2024-03-01",
        ts: "1969-12-31T23:59:59.999999Z",
        qtd: null,
        preco: 1.5,
        ok: true,
      },
    ]);
    await t.excluir([["id", "<", 6]]);
    await t.atualizar({ onde: [["id", "=", 10]], definir: { cliente: "atualizado" } });
    const saida = python(
      `
dt = DeltaTable(sys.argv[1], storage_options=opts)
t = dt.to_pyarrow_table()
linhas = {r["id"]: r for r in t.to_pylist()}
sair({
  "versao": dt.version(),
  "n": t.num_rows,
  "schema": str(t.schema),
  "grande": linhas[9007199254740993],
  "dez": linhas[10]["cliente"],
  "v0": DeltaTable(sys.argv[1], storage_options=opts, version=0).to_pyarrow_table().num_rows,
  "filtro": dt.to_pyarrow_dataset().to_table(filter=pa.compute.field("dia") == datetime.date(2024,3,2)).num_rows,
  "ops": [h["operation"] for h in dt.history()],
})
`,
      local,
    ) as {
      versao: number;
      n: number;
      schema: string;
      grande: Record<string, unknown>;
      dez: string;
      v0: number;
      filtro: number;
      ops: string[];
    };
    assert.equal(saida.versao, 3);
    assert.equal(saida.n, 61 - 6);
    assert.match(
      saida.schema,
      /id: int64 not null[\s\S]*valor: decimal128\(12, 2\)[\s\S]*dia: date32\[day\][\s\S]*ts: timestamp\[us, tz=UTC\]/,
    );
    assert.equal(saida.grande.valor, "-0.01");
    assert.equal(saida.grande.cliente, "ção");
    assert.equal(saida.grande.ts, "1969-12-31T23:59:59.999999+00:00");
    assert.equal(saida.grande.qtd, null);
    assert.equal(saida.dez, "atualizado");
    assert.equal(saida.v0, 60);
    assert.equal(saida.filtro, 18);
    assert.deepEqual(saida.ops, ["UPDATE", "DELETE", "WRITE", "CREATE TABLE"]);
  });

  test("we read a table delta-rs wrote (partitions, nulls, its checkpoint) and append to it", async () => {
    const local = url("deltars");
    python(
      `
t = pa.table({
  "id": pa.array([1, 2, 3, None], pa.int64()),
  "nome": ["a", None, "ção", "d"],
  "valor": pa.array([decimal.Decimal("1.10"), None, decimal.Decimal("-3.33"), decimal.Decimal("99999999.99")], pa.decimal128(12, 2)),
  "dia": [datetime.date(2024,1,1), datetime.date(2024,1,1), datetime.date(2024,1,2), None],
  "ts": pa.array([datetime.datetime(2024,1,1,12,0,0,123456, tzinfo=datetime.timezone.utc), None, datetime.datetime(1969,12,31,23,59,59,999999, tzinfo=datetime.timezone.utc), None], pa.timestamp("us", "UTC")),
})
write_deltalake(sys.argv[1], t, partition_by=["dia"], storage_options=opts)
write_deltalake(sys.argv[1], t, mode="append", storage_options=opts)
DeltaTable(sys.argv[1], storage_options=opts).create_checkpoint()
sair({"ok": True})
`,
      local,
    );
    const t = tabelaDelta(local);
    const linhas = await t.linhas();
    assert.equal(linhas.length, 8);
    const tres = linhas.find((l) => l.id === 3n)!;
    assert.equal(tres.valor, "-3.33");
    assert.equal((tres.ts as Date).toISOString(), "1969-12-31T23:59:59.999Z");
    assert.equal((tres.dia as Date).toISOString().slice(0, 10), "2024-01-02");
    assert.equal(linhas.filter((l) => l.dia === null).length, 2);
    const r = await t.ler({ onde: [["dia", "=", "2024-01-01"]] });
    assert.equal(r.tabela.numRows, 4);
    const { tabela } = await t.ler({ colunas: ["ts"], onde: [["id", "=", 1]] });
    assert.equal((tabela.getChild("ts")!.data[0]!.values as BigInt64Array)[0], 1_704_110_400_123_456n);
    await t.anexar([{ id: 4n, nome: "de TS", dia: "2024-01-03" }]);
    const n = python(`sair(DeltaTable(sys.argv[1], storage_options=opts).to_pyarrow_table().num_rows)`, local);
    assert.equal(n, 9);
  });
});
