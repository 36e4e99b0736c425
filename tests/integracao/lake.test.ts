// lib/lake against the real MinIO (bucket raw, a unique _testes/<uuid>/ prefix removed at the
// end): the log it writes, reads with pruning and time travel, every operation, checkpoints,
// concurrent writers, a writer killed before committing, bad input, unsupported features, and
// — when a Python with deltalake is available — delta-rs reading our tables and vice versa.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as arrow from "apache-arrow";
import { config, repoRoot } from "../../lib/config";
import { lakeEnv } from "../../stack/lake-env";
import { conformar } from "../../lib/lake/colunas";
import {
  ArmazenamentoS3,
  ErroConflito,
  ErroLake,
  ErroRecursoNaoSuportado,
  clienteMinio,
  lerAcoes,
  removerPrefixo,
  tabelaDelta,
  type Linha,
} from "../../lib/lake";

const BUCKET = "raw";
const PREFIXO = `_testes/${randomUUID()}`;
const url = (nome: string) => `s3://${BUCKET}/${PREFIXO}/${nome}`;

after(async () => {
  await removerPrefixo(BUCKET, PREFIXO);
});

const ESQUEMA = {
  id: "long not null",
  cliente: "string",
  valor: "decimal(12,2)",
  dia: "date",
  ts: "timestamp",
  qtd: "integer",
  preco: "double",
  ok: "boolean",
};

function vendas(n: number, desde = 0): Linha[] {
  return Array.from({ length: n }, (_, k) => {
    const i = desde + k;
    return {
      id: BigInt(i),
      cliente: i % 11 === 0 ? null : `cliente-${i % 7}`,
      valor: `${Math.floor(i / 4)}.${String((i * 37) % 100).padStart(2, "0")}`,
      dia: `2024-03-0${1 + (i % 3)}`,
      ts: `2024-03-0${1 + (i % 3)}T10:00:00.${String(i % 1_000_000).padStart(6, "0")}Z`,
      qtd: i % 5 === 0 ? null : i % 10,
      preco: i / 8,
      ok: i % 2 === 0,
    };
  });
}

async function objetos(prefixo: string): Promise<{ nome: string; tamanho: number }[]> {
  const lista: { nome: string; tamanho: number }[] = [];
  for await (const o of clienteMinio().listObjectsV2(BUCKET, `${PREFIXO}/${prefixo}/`, true) as AsyncIterable<{ name?: string; size: number }>) {
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

function ids(linhas: Linha[]): number[] {
  return linhas.map((l) => Number(l.id)).sort((a, b) => a - b);
}

describe("create, append and the log a student can read", () => {
  test("version 0 holds protocol 1/2, metaData with the schema, and one add per partition with stats", async () => {
    const t = tabelaDelta(url("vendas"));
    const r = await t.criar({ esquema: ESQUEMA, particionarPor: ["dia"], dados: vendas(300), descricao: "vendas de teste" });
    assert.equal(r.versao, 0);
    assert.equal(r.arquivosAdicionados, 3);
    assert.equal(r.linhasEscritas, 300);
    const acoes = lerAcoes(await lerTexto("vendas/_delta_log/00000000000000000000.json"), "v0");
    const protocol = acoes.find((a) => "protocol" in a) as { protocol: { minReaderVersion: number; minWriterVersion: number } };
    assert.deepEqual(protocol.protocol, { minReaderVersion: 1, minWriterVersion: 2 });
    const meta = (acoes.find((a) => "metaData" in a) as { metaData: { schemaString: string; partitionColumns: string[]; format: unknown } }).metaData;
    assert.deepEqual(meta.partitionColumns, ["dia"]);
    assert.deepEqual(meta.format, { provider: "parquet", options: {} });
    const schema = JSON.parse(meta.schemaString) as { fields: { name: string; type: string; nullable: boolean }[] };
    assert.deepEqual(
      schema.fields.map((f) => [f.name, f.type, f.nullable]),
      [
        ["id", "long", false],
        ["cliente", "string", true],
        ["valor", "decimal(12,2)", true],
        ["dia", "date", true],
        ["ts", "timestamp", true],
        ["qtd", "integer", true],
        ["preco", "double", true],
        ["ok", "boolean", true],
      ],
    );
    const info = (acoes[0] as { commitInfo: { operation: string; engineInfo: string; timestamp: number } }).commitInfo;
    assert.equal(info.operation, "CREATE TABLE");
    assert.match(info.engineInfo, /^liga-sudoers-lib-lake\//);
    const adds = acoes.flatMap((a) => ("add" in a ? [a.add] : []));
    assert.equal(adds.length, 3);
    const a1 = adds.find((a) => a.partitionValues.dia === "2024-03-01")!;
    assert.match(a1.path, /^dia=2024-03-01\/part-\d{5}-[0-9a-f-]{36}\.c000\.snappy\.parquet$/);
    assert.equal(a1.dataChange, true);
    const stats = JSON.parse(a1.stats!) as { numRecords: number; minValues: Record<string, unknown>; maxValues: Record<string, unknown>; nullCount: Record<string, number> };
    assert.equal(stats.numRecords, 100);
    assert.equal(stats.minValues.id, 0);
    assert.equal(stats.maxValues.id, 297);
    assert.equal(stats.minValues.ts, "2024-03-01T10:00:00.000Z");
    assert.equal(stats.nullCount.qtd, 20);
    assert.equal(stats.minValues.dia, undefined, "partition columns have no stats");
    const arquivos = await objetos("vendas");
    const dados = arquivos.find((o) => o.nome === decodeURIComponent(a1.path))!;
    assert.equal(dados.tamanho, a1.size);
  });

  test("append adds a version; values come back exactly (int64, decimals, µs timestamps, nulls)", async () => {
    const t = tabelaDelta(url("vendas"));
    const extremos = [
      { id: 9_007_199_254_740_993n, cliente: "ção 🚀", valor: "-9999999999.99", dia: "2024-03-01", ts: "1969-12-31T23:59:59.999999Z", qtd: -2147483648, preco: -0, ok: null },
    ];
    const r = await t.anexar([...vendas(30, 300), ...extremos]);
    assert.equal(r.versao, 1);
    const [l] = await t.linhas({ onde: [["id", "=", 9_007_199_254_740_993n]] });
    assert.equal(l!.id, 9_007_199_254_740_993n);
    assert.equal(l!.cliente, "ção 🚀");
    assert.equal(l!.valor, "-9999999999.99");
    assert.equal(l!.qtd, -2147483648);
    assert.equal(l!.ok, null);
    const { tabela } = await t.ler({ colunas: ["id", "ts"], onde: [["id", "=", 9_007_199_254_740_993n]] });
    assert.equal(tabela.numRows, 1);
    const ts = tabela.getChild("ts")!.data[0]!.values as BigInt64Array;
    assert.equal(ts[0], -1n, "1969-12-31T23:59:59.999999Z is -1 µs");
    assert.equal(String(tabela.getChild("ts")!.type), "Timestamp<MICROSECOND, UTC>");
    assert.equal(await t.contar(), 331);
  });

  test("an Arrow table slice (buffers with an offset) is written and read back exactly", async () => {
    const t = tabelaDelta(url("fatia"));
    const esquema = { id: "long", nome: "string", valor: "decimal(12,2)", ok: "boolean", dia: "date" };
    await t.criar({ esquema, particionarPor: ["dia"] });
    const base = Array.from({ length: 40 }, (_, i) => ({
      id: BigInt(i),
      nome: i % 4 === 0 ? null : `n${i}`,
      valor: i % 6 === 0 ? null : `${i}.${i % 10}0`,
      ok: i % 3 === 0 ? null : i % 2 === 0,
      dia: `2024-05-0${1 + Math.floor(i / 20)}`,
    }));
    const inteira = conformar(base, (await t.instantaneo()).esquema);
    await t.anexar(inteira.slice(13, 31));
    const lidas = (await t.linhas()).sort((a, b) => Number(a.id) - Number(b.id));
    const esperadas = base.slice(13, 31);
    assert.deepEqual(lidas.map((l) => [Number(l.id), l.nome, l.valor, l.ok, (l.dia as Date).toISOString().slice(0, 10)]), esperadas.map((l) => [Number(l.id), l.nome, l.valor, l.ok, l.dia]));
  });

  test("the reader prunes partitions, skips files by stats, and reports files and bytes read", async () => {
    const t = tabelaDelta(url("vendas"));
    const todos = await t.ler();
    assert.equal(todos.tabela.numRows, 331);
    assert.equal(todos.arquivosLidos, 6);
    const porDia = await t.ler({ onde: [["dia", "=", "2024-03-02"]] });
    assert.equal(porDia.arquivosLidos, 2);
    assert.equal(porDia.arquivosIgnorados, 4);
    assert.ok(porDia.bytesLidos > 0 && porDia.bytesLidos < todos.bytesLidos);
    assert.ok(ids(await t.linhas({ onde: [["dia", "=", "2024-03-02"]] })).every((i) => i % 3 === 1));
    // ids 300..329 only live in version 1's files: the stats skip version 0's.
    const novos = await t.ler({ onde: [["id", ">=", 310], ["id", "<", 320]] });
    assert.equal(novos.tabela.numRows, 10);
    assert.equal(novos.arquivosLidos, 3);
    const nada = await t.ler({ onde: [["valor", ">", "100000000000"]] });
    assert.equal(nada.tabela.numRows, 0);
    assert.equal(nada.arquivosLidos, 0);
    const nulos = await t.linhas({ onde: [["cliente", "is null"]], colunas: ["id", "cliente"] });
    assert.ok(nulos.length > 0 && nulos.every((l) => Number(l.id) % 11 === 0 && l.cliente === null));
    const funcao = await t.linhas({ onde: (l) => (l.qtd as number | null) === 7 });
    assert.ok(funcao.length > 0 && funcao.every((l) => l.qtd === 7));
  });

  test("time travel by version and by instant; a version that does not exist is a clear error", async () => {
    const t = tabelaDelta(url("vendas"));
    assert.equal((await t.ler({ versao: 0 })).tabela.numRows, 300);
    const hist = await t.historico();
    assert.deepEqual(hist.map((h) => [h.versao, h.operacao]), [[1, "WRITE"], [0, "CREATE TABLE"]]);
    assert.equal((await t.ler({ timestamp: hist[1]!.timestamp })).versao, 0);
    assert.equal((await t.ler({ timestamp: new Date(Date.now() + 60_000) })).versao, 1);
    await assert.rejects(t.ler({ versao: 7 }), (e: Error) => e instanceof ErroLake && /A versão 7 não existe.*de 0 a 1/.test(e.message));
    await assert.rejects(t.ler({ timestamp: "2001-01-01T00:00:00Z" }), /não existia em 2001-01-01/);
  });
});

describe("overwrite, delete, update, merge", () => {
  test("overwrite replaces everything; replaceWhere only a partition and checks the new rows", async () => {
    const t = tabelaDelta(url("sobrescrita"));
    await t.criar({ esquema: ESQUEMA, particionarPor: ["dia"], dados: vendas(90) });
    const novas = vendas(9, 1000).filter((l) => l.dia === "2024-03-02");
    const r = await t.sobrescrever(novas, { substituirOnde: [["dia", "=", "2024-03-02"]] });
    assert.equal(r.arquivosRemovidos, 1);
    const linhas = await t.linhas();
    assert.equal(linhas.length, 60 + 3);
    assert.deepEqual(
      ids(linhas.filter((l) => (l.dia as Date).toISOString().startsWith("2024-03-02"))),
      [1000, 1003, 1006],
    );
    await assert.rejects(
      t.sobrescrever(vendas(3, 2000), { substituirOnde: [["dia", "=", "2024-03-02"]] }),
      /não satisfaz substituirOnde/,
    );
    const tudo = await t.sobrescrever(vendas(5, 5000));
    assert.equal(tudo.arquivosRemovidos, 3);
    assert.deepEqual(ids(await t.linhas()), [5000, 5001, 5002, 5003, 5004]);
    assert.equal((await t.ler({ versao: 0 })).tabela.numRows, 90);
  });

  test("delete drops whole partitions without reading them and rewrites files only where rows match", async () => {
    const t = tabelaDelta(url("exclusao"));
    await t.criar({ esquema: ESQUEMA, particionarPor: ["dia"], dados: vendas(90) });
    const r1 = await t.excluir([["dia", "=", "2024-03-01"]]);
    assert.equal(r1.linhasAfetadas, 30);
    assert.equal(r1.arquivosRemovidos, 1);
    assert.equal(r1.arquivosAdicionados, 0);
    const r2 = await t.excluir([["id", "<", 10]]);
    assert.equal(r2.linhasAfetadas, 6);
    const restantes = ids(await t.linhas());
    assert.equal(restantes.length, 54);
    assert.ok(restantes.every((i) => i >= 10 && i % 3 !== 0));
    const nada = await t.excluir([["id", ">", 1_000_000]]);
    assert.equal(nada.versao, r2.versao, "deleting nothing commits nothing");
    const hist = await t.historico(1);
    assert.equal(hist[0]!.operacao, "DELETE");
    assert.equal(hist[0]!.metricas.numDeletedRows, "6");
  });

  test("update sets constants or computed values on matching rows only", async () => {
    const t = tabelaDelta(url("atualizacao"));
    await t.criar({ esquema: ESQUEMA, particionarPor: ["dia"], dados: vendas(30) });
    const r = await t.atualizar({ onde: [["id", "in", [1, 2, 3]]], definir: { cliente: "vip", valor: (l) => Number(l.valor) * 2 } });
    assert.equal(r.linhasAfetadas, 3);
    const linhas = await t.linhas();
    assert.equal(linhas.length, 30);
    const porId = new Map(linhas.map((l) => [Number(l.id), l]));
    assert.equal(porId.get(2)!.cliente, "vip");
    assert.equal(porId.get(2)!.valor, "1.48");
    assert.equal(porId.get(4)!.cliente, "cliente-4");
    // Moving rows to another partition rewrites them there.
    await t.atualizar({ onde: [["id", "=", 0]], definir: { dia: "2024-03-09" } });
    const movida = await t.linhas({ onde: [["dia", "=", "2024-03-09"]] });
    assert.deepEqual(ids(movida), [0]);
    await assert.rejects(t.atualizar({ onde: [["id", "=", 1]], definir: { qtd: "muitos" } }), /Valor inválido em definir.qtd: "muitos". Esperado integer/);
  });

  test("merge upserts by key: matches update, the rest insert; duplicate source keys are refused", async () => {
    const t = tabelaDelta(url("mesclagem"));
    await t.criar({ esquema: ESQUEMA, particionarPor: ["dia"], dados: vendas(30) });
    const fonte = [...vendas(3, 10), ...vendas(2, 100)].map((l) => ({ ...l, cliente: "mesclado" }));
    const r = await t.mesclar(fonte, { chaves: ["id"] });
    assert.equal(r.linhasAtualizadas, 3);
    assert.equal(r.linhasInseridas, 2);
    const linhas = await t.linhas();
    assert.equal(linhas.length, 32);
    assert.deepEqual(ids(linhas.filter((l) => l.cliente === "mesclado")), [10, 11, 12, 100, 101]);
    const r2 = await t.mesclar(vendas(2, 20), { chaves: ["id"], quandoCorresponder: "excluir", quandoNaoCorresponder: "ignorar" });
    assert.equal(r2.linhasExcluidas, 2);
    assert.equal((await t.linhas()).length, 30);
    await assert.rejects(t.mesclar([...vendas(1, 5), ...vendas(1, 5)], { chaves: ["id"] }), /aparece mais de uma vez/);
  });
});

describe("optimize, vacuum, restore, checkpoints", () => {
  test("optimize compacts small files per partition without changing the rows", async () => {
    const t = tabelaDelta(url("otimizar"));
    await t.criar({ esquema: ESQUEMA, particionarPor: ["dia"], dados: vendas(30) });
    for (let k = 1; k <= 3; k++) await t.anexar(vendas(30, k * 100));
    const antes = ids(await t.linhas());
    const r = await t.otimizar();
    assert.equal(r.arquivosRemovidos, 12);
    assert.equal(r.arquivosAdicionados, 3);
    assert.equal(r.particoesCompactadas, 3);
    assert.deepEqual(ids(await t.linhas()), antes);
    assert.equal((await t.instantaneo()).arquivos.size, 3);
    const v = JSON.parse(await lerTexto(`otimizar/_delta_log/0000000000000000000${r.versao}.json`).then((s) => s.split("\n")[1]!)) as { remove?: { dataChange: boolean }; add?: { dataChange: boolean } };
    assert.equal((v.remove ?? v.add)!.dataChange, false);
    assert.equal((await t.otimizar()).arquivosRemovidos, 0, "nothing left to compact");
  });

  test("vacuum keeps files inside the retention period, removes them after it, and a dry run deletes nothing", async () => {
    const t = tabelaDelta(url("otimizar"));
    await assert.rejects(t.vacuum({ retencaoHoras: 1 }), /menor que a da tabela \(168 h\).*verificarRetencao: false/);
    assert.deepEqual((await t.vacuum()).arquivos, []);
    const daquiA8Dias = new Date(Date.now() + 8 * 86_400_000);
    const simulado = await t.vacuum({ agora: daquiA8Dias, simulacao: true });
    assert.equal(simulado.arquivos.length, 12);
    assert.equal((await objetos("otimizar")).filter((o) => o.nome.endsWith(".parquet") && !o.nome.startsWith("_")).length, 15);
    const real = await t.vacuum({ agora: daquiA8Dias });
    assert.equal(real.arquivos.length, 12);
    assert.equal((await objetos("otimizar")).filter((o) => o.nome.endsWith(".parquet") && !o.nome.startsWith("_")).length, 3);
    assert.equal((await t.linhas()).length, 120);
    // Time travel to a vacuumed version now fails on read, and restore refuses it.
    await assert.rejects(t.restaurar({ versao: 1 }), /já foram apagados pelo vacuum.*A tabela não mudou/);
  });

  test("restore makes an old version current again as a new commit", async () => {
    const t = tabelaDelta(url("restaurar"));
    await t.criar({ esquema: ESQUEMA, particionarPor: ["dia"], dados: vendas(30) });
    await t.excluir([["dia", "=", "2024-03-01"]]);
    await t.anexar(vendas(3, 500));
    const r = await t.restaurar({ versao: 0 });
    assert.equal(r.versao, 3);
    assert.deepEqual(ids(await t.linhas()), ids(vendas(30)));
    assert.equal((await t.historico(1))[0]!.operacao, "RESTORE");
  });

  test("a checkpoint every N commits with _last_checkpoint; snapshots from it equal the full replay", async () => {
    const t = tabelaDelta(url("checkpoint"), { intervaloCheckpoint: 3 });
    await t.criar({ esquema: ESQUEMA, particionarPor: ["dia"], dados: vendas(9), configuracao: { "delta.checkpointInterval": "3" } });
    for (let k = 1; k <= 4; k++) await t.anexar(vendas(9, k * 100));
    await t.excluir([["id", "=", 100]]);
    const log = (await objetos("checkpoint/_delta_log")).map((o) => o.nome);
    assert.ok(log.includes("00000000000000000003.checkpoint.parquet"), log.join(" "));
    const ultimo = JSON.parse(await lerTexto("checkpoint/_delta_log/_last_checkpoint")) as { version: number; size: number; numOfAddFiles: number };
    assert.equal(ultimo.version, 3);
    assert.equal(ultimo.numOfAddFiles, 12);
    assert.equal(ultimo.size, 2 + 12);
    // A fresh reader starts from the checkpoint; versions before it still replay from commits.
    const nova = tabelaDelta(url("checkpoint"));
    assert.equal((await nova.linhas()).length, 44);
    assert.equal((await nova.ler({ versao: 4 })).tabela.numRows, 45);
    assert.equal((await nova.ler({ versao: 2 })).tabela.numRows, 27);
  });
});

describe("concurrency and failures", () => {
  test("two writers appending concurrently: every commit lands once, no version overwritten, rows add up", { timeout: 240_000 }, async () => {
    const local = url("concorrencia");
    await tabelaDelta(local).criar({ esquema: ESQUEMA, particionarPor: ["dia"] });
    const vezes = 12;
    const escritor = async (w: number) => {
      const t = tabelaDelta(local);
      const versoes: number[] = [];
      for (let k = 0; k < vezes; k++) versoes.push((await t.anexar(vendas(5, w * 10_000 + k * 5))).versao);
      return versoes;
    };
    const [a, b] = await Promise.all([escritor(1), escritor(2)]);
    const todas = [...a!, ...b!].sort((x, y) => x - y);
    assert.deepEqual(todas, Array.from({ length: 2 * vezes }, (_, i) => i + 1), "versions 1..2N, each once");
    const t = tabelaDelta(local);
    assert.equal((await t.instantaneo()).versao, 2 * vezes);
    const linhas = await t.linhas();
    assert.equal(linhas.length, 2 * vezes * 5);
    assert.equal(new Set(linhas.map((l) => l.id)).size, linhas.length);
    // Each commit file is one writer's: its adds are all from one batch.
    for (let v = 1; v <= 2 * vezes; v++) {
      const acoes = lerAcoes(await lerTexto(`concorrencia/_delta_log/${String(v).padStart(20, "0")}.json`), `v${v}`);
      assert.equal(acoes.filter((x) => "add" in x).length, 3);
    }
  });

  test("a delete that read a partition conflicts with a concurrent append there, and commits nothing", async () => {
    const local = url("conflito");
    const t1 = tabelaDelta(local);
    await t1.criar({ esquema: ESQUEMA, particionarPor: ["dia"], dados: vendas(30) });
    const t2 = tabelaDelta(local);
    // t1 reads version 0; t2 appends to 2024-03-01; then t1's delete on that partition must fail.
    const inst = await t1.instantaneo();
    await t2.anexar(vendas(1, 3000)); // id 3000 → dia 2024-03-01
    (t1 as unknown as { cache: unknown }).cache = inst;
    (t1 as unknown as { instantaneo: () => Promise<unknown> }).instantaneo = async () => inst;
    await assert.rejects(t1.excluir([["dia", "=", "2024-03-01"]]), (e: Error) => e instanceof ErroConflito && /acrescentou dados/.test(e.message));
    const depois = tabelaDelta(local);
    assert.equal((await depois.instantaneo()).versao, 1);
    assert.equal((await depois.linhas()).length, 31);
    // A delete elsewhere (another partition) does not conflict: it lands after the append.
    const t3 = tabelaDelta(local);
    const inst3 = await t3.instantaneo({ versao: 0 });
    (t3 as unknown as { instantaneo: () => Promise<unknown> }).instantaneo = async () => inst3;
    const r = await t3.excluir([["dia", "=", "2024-03-02"]]);
    assert.equal(r.versao, 2);
    assert.equal(r.tentativas, 2);
  });

  test("a writer killed after uploading data files: the table still reads its last version; vacuum removes the orphans only after retention", async () => {
    const local = url("morto");
    const t = tabelaDelta(local);
    await t.criar({ esquema: ESQUEMA, particionarPor: ["dia"], dados: vendas(30) });
    const script = `
      import { tabelaDelta } from ${JSON.stringify(join(repoRoot(), "lib/lake/index.ts"))};
      import { gravarArquivos } from ${JSON.stringify(join(repoRoot(), "lib/lake/escrita.ts"))};
      import { conformar } from ${JSON.stringify(join(repoRoot(), "lib/lake/colunas.ts"))};
      const t = tabelaDelta(${JSON.stringify(local)});
      const inst = await t.instantaneo();
      const linhas = Array.from({ length: 50 }, (_, i) => ({ id: BigInt(90000 + i), dia: "2024-03-0" + (1 + (i % 3)) }));
      const g = await gravarArquivos(t.arm, inst.esquema, ["dia"], conformar(linhas, inst.esquema), { compressao: "snappy", dataChange: true });
      console.log("enviados " + g.adds.length);
      process.kill(process.pid, "SIGKILL");
    `;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: repoRoot(), encoding: "utf8", timeout: 60_000 });
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

  test("bad input gives pt-BR errors saying what was expected, and leaves the table unchanged", async () => {
    const local = url("entrada");
    const t = tabelaDelta(local);
    await assert.rejects(
      t.criar({ esquema: ESQUEMA, particionarPor: ["mes"] }),
      /Coluna de partição desconhecida: 'mes'. Colunas da tabela: id, cliente/,
    );
    await assert.rejects(t.criar({ esquema: { id: "inteiro" } }), /Tipo desconhecido 'inteiro'/);
    await t.criar({ esquema: ESQUEMA, particionarPor: ["dia"], dados: vendas(3) });
    const antes = (await objetos("entrada")).length;
    await assert.rejects(t.anexar([{ id: 1n, cidade: "Recife" }]), /A linha 0 tem a coluna 'cidade', que não existe no esquema/);
    await assert.rejects(t.anexar([{ id: 1n, qtd: 1.5 }]), /Valor inválido em linha 0, coluna 'qtd': 1.5. Esperado integer/);
    await assert.rejects(t.anexar([{ id: 1n, dia: "31/12/2024" }]), /Esperado date \(Date ou texto "AAAA-MM-DD"\)/);
    await assert.rejects(t.anexar([{ cliente: "sem id" }]), /não tem valor para 'id', que não aceita nulos/);
    await assert.rejects(t.anexar([{ id: 1n, valor: "123456789012.5" }]), /não cabe em decimal\(12,2\)/);
    await assert.rejects(
      t.anexar(new arrow.Table({ id: arrow.vectorFromArray(["a"]) })),
      /A coluna 'id' tem o tipo Arrow .*Utf8.*, incompatível com o tipo Delta long da tabela. Esperado Int64/,
    );
    await assert.rejects(t.ler({ onde: [["regiao", "=", "NE"]] }), /Coluna desconhecida: 'regiao'/);
    await assert.rejects(t.ler({ onde: [["id", "~", 1]] as never }), /Operador desconhecido/);
    await assert.rejects(t.criar({ esquema: ESQUEMA }), /Já existe uma tabela Delta/);
    await assert.rejects(tabelaDelta(url("nao-existe")).ler(), /Não existe tabela Delta em/);
    assert.equal((await t.instantaneo()).versao, 0);
    assert.equal((await objetos("entrada")).length, antes);
  });
});

describe("refusals", () => {
  test("tables using features we do not implement are refused with the feature's name", async () => {
    const cliente = clienteMinio();
    const escrever = async (nome: string, acoes: unknown[]) => {
      const corpo = Buffer.from(acoes.map((a) => JSON.stringify(a)).join("\n"));
      await cliente.putObject(BUCKET, `${PREFIXO}/${nome}/_delta_log/00000000000000000000.json`, corpo, corpo.length);
    };
    const meta = (conf: Record<string, string>) => ({
      metaData: { id: randomUUID(), format: { provider: "parquet", options: {} }, schemaString: JSON.stringify({ type: "struct", fields: [{ name: "a", type: "long", nullable: true, metadata: {} }] }), partitionColumns: [], configuration: conf },
    });
    await escrever("dv", [{ protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ["deletionVectors"], writerFeatures: ["deletionVectors"] } }, meta({})]);
    await assert.rejects(tabelaDelta(url("dv")).ler(), (e: Error) => e instanceof ErroRecursoNaoSuportado && /deletion vectors \(deletionVectors\)/.test(e.message));
    await escrever("cm", [{ protocol: { minReaderVersion: 2, minWriterVersion: 5 } }, meta({ "delta.columnMapping.mode": "name" })]);
    await assert.rejects(tabelaDelta(url("cm")).ler(), /column mapping \(columnMapping\)/);
    await escrever("leitor9", [{ protocol: { minReaderVersion: 9, minWriterVersion: 9 } }, meta({})]);
    await assert.rejects(tabelaDelta(url("leitor9")).ler(), /exige leitor Delta versão 9/);
    await escrever("cdf", [{ protocol: { minReaderVersion: 1, minWriterVersion: 4 } }, meta({ "delta.enableChangeDataFeed": "true" })]);
    assert.equal((await tabelaDelta(url("cdf")).ler()).tabela.numRows, 0, "readable");
    await assert.rejects(tabelaDelta(url("cdf")).anexar([{ a: 1 }]), /change data feed/);
    await escrever("apenas", [{ protocol: { minReaderVersion: 1, minWriterVersion: 2 } }, meta({ "delta.appendOnly": "true" })]);
    await tabelaDelta(url("apenas")).anexar([{ a: 1 }]);
    await assert.rejects(tabelaDelta(url("apenas")).excluir([["a", "=", 1]]), /somente-acréscimo/);
  });

  test("a server that ignores If-None-Match is refused before any commit is written", async () => {
    const puts: string[] = [];
    const falso = {
      putObject: async (_b: string, k: string) => {
        puts.push(k);
        return { etag: "x", versionId: null };
      },
      removeObject: async () => undefined,
    };
    const arm = new ArmazenamentoS3(BUCKET, `${PREFIXO}/sem-condicional`, falso as never);
    await assert.rejects(arm.gravarSeAusente("_delta_log/00000000000000000000.json", Buffer.from("{}")), /não respeita escritas condicionais/);
    assert.ok(puts.every((k) => k.includes(".liga-lake/sonda-")), puts.join(" "));
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
    await t.anexar([{ id: 9_007_199_254_740_993n, cliente: "ção", valor: "-0.01", dia: "2024-03-01", ts: "1969-12-31T23:59:59.999999Z", qtd: null, preco: 1.5, ok: true }]);
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
    ) as { versao: number; n: number; schema: string; grande: Record<string, unknown>; dez: string; v0: number; filtro: number; ops: string[] };
    assert.equal(saida.versao, 3);
    assert.equal(saida.n, 61 - 6);
    assert.match(saida.schema, /id: int64 not null[\s\S]*valor: decimal128\(12, 2\)[\s\S]*dia: date32\[day\][\s\S]*ts: timestamp\[us, tz=UTC\]/);
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

describe("module loading", () => {
  test("lib/lake loads from CommonJS the way tslab compiles lib files", () => {
    const root = repoRoot();
    // tslab transpiles each lib file to CommonJS; register a hook that does the same for lib/lake.
    const script = `
      const ts = require("typescript");
      const Module = require("node:module");
      const { readFileSync } = require("node:fs");
      const path = require("node:path");
      const original = Module._extensions[".js"];
      Module._extensions[".ts"] = function (m, filename) {
        const js = ts.transpileModule(readFileSync(filename, "utf8"), {
          compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
        }).outputText;
        m._compile(js, filename);
      };
      const lake = require(path.join(${JSON.stringify(root)}, "lib", "lake", "index.ts"));
      const t = lake.tabelaDelta("s3://raw/_testes/cjs");
      const colunas = require(path.join(${JSON.stringify(root)}, "lib", "lake", "colunas.ts"));
      const parquet = require(path.join(${JSON.stringify(root)}, "lib", "lake", "parquet.ts"));
      const esquema = { type: "struct", fields: [{ name: "a", type: "long", nullable: true, metadata: {} }] };
      const tabela = colunas.conformar([{ a: 1n }, { a: null }], esquema);
      const volta = parquet.lerParquet(parquet.gravarParquet(tabela));
      console.log(typeof t.ler === "function" && volta.numRows === 2 ? "ok" : "falhou");
      void original;
    `;
    const r = spawnSync(process.execPath, ["-e", script], { cwd: root, encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), "ok", r.stderr);
  });
});
