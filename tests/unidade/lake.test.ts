// lib/lake with no service: every table lives in an ArmazenamentoMemoria, which keeps the
// storage contract the log relies on (create-if-absent commits, ordered listings). Covered here:
// the log a student reads, log replay and checkpoints, reads with pruning and time travel, every
// operation, concurrent writers (each version exactly once), conflicts with typed fields, bad
// input refused with the table unchanged, vacuum retention, unsupported features refused, and
// loading lib/lake as tslab does. What needs the real MinIO, delta-rs or Spark stays in
// tests/integracao/lake*.test.ts.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import * as arrow from "apache-arrow";
import { repoRoot } from "../../lib/config";
import { ErroLiga } from "../../lib/erros";
import {
  ArmazenamentoMemoria,
  ArmazenamentoS3,
  ErroConflito,
  ErroLake,
  ErroRecursoNaoSuportado,
  carregarInstantaneo,
  conformar,
  lerAcoes,
  nomeCommit,
  tabelaDelta,
} from "../../lib/lake/index";
import { ArmazenamentoComGancho, ESQUEMA, EXTREMO, ids, provarEscritoresConcorrentes, vendas } from "../apoio/lake";

/** One in-memory storage per table name, so tests of a describe share tables as they would on MinIO. */
const armazens = new Map<string, ArmazenamentoMemoria>();
function local(nome: string): ArmazenamentoMemoria {
  const arm = armazens.get(nome) ?? new ArmazenamentoMemoria(`memoria://${nome}`);
  armazens.set(nome, arm);
  return arm;
}

async function texto(nome: string, chave: string): Promise<string> {
  return Buffer.from(await local(nome).ler(chave)).toString("utf8");
}

/** Data files (not the log) of a table. */
async function parquets(nome: string): Promise<string[]> {
  return (await local(nome).listar("")).map((o) => o.chave).filter((k) => k.endsWith(".parquet") && !k.startsWith("_"));
}

describe("the in-memory storage keeps the contract the log relies on", () => {
  test("create-if-absent writes once; listings come in key order from a prefix, after a key; removal", async () => {
    const arm = new ArmazenamentoMemoria();
    assert.equal(await arm.gravarSeAusente("_delta_log/00000000000000000000.json", Buffer.from("a")), true);
    assert.equal(await arm.gravarSeAusente("_delta_log/00000000000000000000.json", Buffer.from("b")), false);
    assert.equal(Buffer.from(await arm.ler("_delta_log/00000000000000000000.json")).toString(), "a", "the first write stays");
    await arm.gravar("b/2", Buffer.from("xy"));
    await arm.gravar("b/1", Buffer.from("x"));
    await arm.gravar("c", Buffer.from(""));
    assert.deepEqual(
      (await arm.listar("b/")).map((o) => [o.chave, o.tamanho]),
      [
        ["b/1", 1],
        ["b/2", 2],
      ],
    );
    assert.deepEqual(
      (await arm.listar("", "b/1")).map((o) => o.chave),
      ["b/2", "c"],
    );
    await arm.remover(["b/1", "c"]);
    assert.deepEqual(
      (await arm.listar("")).map((o) => o.chave),
      ["_delta_log/00000000000000000000.json", "b/2"],
    );
    assert.equal(await arm.lerSeExistir("c"), undefined);
    await assert.rejects(arm.ler("c"), (e: Error) => e instanceof ErroLake);
  });

  test("two writers racing for the same version: exactly one wins", async () => {
    const arm = new ArmazenamentoMemoria();
    const vitorias = await Promise.all(Array.from({ length: 8 }, (_, k) => arm.gravarSeAusente("v", Buffer.from(String(k)))));
    assert.equal(vitorias.filter(Boolean).length, 1);
  });
});

describe("create, append and the log a student can read", () => {
  test("version 0 holds protocol 1/2, metaData with the schema, and one add per partition with stats", async () => {
    const t = tabelaDelta(local("vendas"));
    const r = await t.criar({ esquema: ESQUEMA, particionarPor: ["dia"], dados: vendas(300), descricao: "vendas de teste" });
    assert.equal(r.versao, 0);
    assert.equal(r.arquivosAdicionados, 3);
    assert.equal(r.linhasEscritas, 300);
    const acoes = lerAcoes(await texto("vendas", "_delta_log/00000000000000000000.json"), "v0");
    const protocol = acoes.find((a) => "protocol" in a) as { protocol: { minReaderVersion: number; minWriterVersion: number } };
    assert.deepEqual(protocol.protocol, { minReaderVersion: 1, minWriterVersion: 2 });
    const meta = (
      acoes.find((a) => "metaData" in a) as {
        metaData: { schemaString: string; partitionColumns: string[]; format: unknown; description: string };
      }
    ).metaData;
    assert.deepEqual(meta.partitionColumns, ["dia"]);
    assert.deepEqual(meta.format, { provider: "parquet", options: {} });
    assert.equal(meta.description, "vendas de teste");
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
    const info = (acoes[0] as { commitInfo: { operation: string; engineInfo: string; isBlindAppend: boolean } }).commitInfo;
    assert.equal(info.operation, "CREATE TABLE");
    assert.match(info.engineInfo, /^liga-sudoers-lib-lake\//);
    const adds = acoes.flatMap((a) => ("add" in a ? [a.add] : []));
    assert.equal(adds.length, 3);
    const a1 = adds.find((a) => a.partitionValues.dia === "2024-03-01")!;
    assert.match(a1.path, /^dia=2024-03-01\/part-\d{5}-[0-9a-f-]{36}\.c000\.snappy\.parquet$/);
    assert.equal(a1.dataChange, true);
    const stats = JSON.parse(a1.stats!) as {
      numRecords: number;
      minValues: Record<string, unknown>;
      maxValues: Record<string, unknown>;
      nullCount: Record<string, number>;
    };
    assert.equal(stats.numRecords, 100);
    assert.equal(stats.minValues.id, 0);
    assert.equal(stats.maxValues.id, 297);
    assert.equal(stats.minValues.ts, "2024-03-01T10:00:00.000Z");
    assert.equal(stats.nullCount.qtd, 20);
    assert.equal(stats.minValues.dia, undefined, "partition columns have no stats");
    const objeto = (await local("vendas").listar("")).find((o) => o.chave === decodeURIComponent(a1.path))!;
    assert.equal(objeto.tamanho, a1.size);
  });

  test("append adds a version; values come back exactly (int64, decimals, µs timestamps, nulls)", async () => {
    const t = tabelaDelta(local("vendas"));
    const r = await t.anexar([...vendas(30, 300), EXTREMO]);
    assert.equal(r.versao, 1);
    const info = lerAcoes(await texto("vendas", "_delta_log/00000000000000000001.json"), "v1")[0] as {
      commitInfo: { isBlindAppend: boolean; readVersion: number };
    };
    assert.deepEqual([info.commitInfo.isBlindAppend, info.commitInfo.readVersion], [true, 0]);
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
    const t = tabelaDelta(local("fatia"));
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
    assert.deepEqual(
      lidas.map((l) => [Number(l.id), l.nome, l.valor, l.ok, (l.dia as Date).toISOString().slice(0, 10)]),
      esperadas.map((l) => [Number(l.id), l.nome, l.valor, l.ok, l.dia]),
    );
  });

  test("the reader prunes partitions, skips files by stats, and reports files and bytes read", async () => {
    const t = tabelaDelta(local("vendas"));
    const todos = await t.ler();
    assert.equal(todos.tabela.numRows, 331);
    assert.equal(todos.arquivosLidos, 6);
    const porDia = await t.ler({ onde: [["dia", "=", "2024-03-02"]] });
    assert.equal(porDia.arquivosLidos, 2);
    assert.equal(porDia.arquivosIgnorados, 4);
    assert.ok(porDia.bytesLidos > 0 && porDia.bytesLidos < todos.bytesLidos);
    // Exactly the ids of that day (id % 3 === 1 among 0..329): an empty answer must fail here.
    const umDia = ids(await t.linhas({ onde: [["dia", "=", "2024-03-02"]] }));
    assert.deepEqual(
      umDia,
      Array.from({ length: 110 }, (_, k) => 3 * k + 1),
    );
    // ids 300..329 only live in version 1's files: the stats skip version 0's.
    const novos = await t.ler({
      onde: [
        ["id", ">=", 310],
        ["id", "<", 320],
      ],
    });
    assert.equal(novos.tabela.numRows, 10);
    assert.equal(novos.arquivosLidos, 3);
    const nada = await t.ler({ onde: [["valor", ">", "100000000000"]] });
    assert.equal(nada.tabela.numRows, 0);
    assert.equal(nada.arquivosLidos, 0);
    const nulos = await t.linhas({ onde: [["cliente", "is null"]], colunas: ["id", "cliente"] });
    assert.deepEqual(
      ids(nulos),
      Array.from({ length: 30 }, (_, k) => 11 * k),
    );
    assert.ok(nulos.every((l) => l.cliente === null));
    const funcao = await t.linhas({ onde: (l) => (l.qtd as number | null) === 7 });
    assert.deepEqual(
      ids(funcao),
      Array.from({ length: 33 }, (_, k) => 10 * k + 7),
    );
  });

  test("time travel by version and by instant; a version that does not exist is a clear error", async () => {
    const t = tabelaDelta(local("vendas"));
    assert.equal((await t.ler({ versao: 0 })).tabela.numRows, 300);
    const hist = await t.historico();
    assert.deepEqual(
      hist.map((h) => [h.versao, h.operacao]),
      [
        [1, "WRITE"],
        [0, "CREATE TABLE"],
      ],
    );
    assert.equal(hist[0]!.versaoLida, 0);
    assert.equal((await t.ler({ timestamp: hist[1]!.timestamp })).versao, 0);
    assert.equal((await t.ler({ timestamp: new Date(Date.now() + 60_000) })).versao, 1);
    await assert.rejects(t.ler({ versao: 7 }), (e: Error) => e instanceof ErroLake && /A versão 7 não existe.*de 0 a 1/.test(e.message));
    await assert.rejects(t.ler({ timestamp: "2001-01-01T00:00:00Z" }), /não existia em 2001-01-01/);
  });
});

describe("overwrite, delete, update, merge", () => {
  test("overwrite replaces everything; replaceWhere only a partition and checks the new rows", async () => {
    const t = tabelaDelta(local("sobrescrita"));
    await t.criar({ esquema: ESQUEMA, particionarPor: ["dia"], dados: vendas(90) });
    const novas = vendas(9, 1000).filter((l) => l.dia === "2024-03-02");
    const r = await t.sobrescrever(novas, { substituirOnde: [["dia", "=", "2024-03-02"]] });
    assert.equal(r.arquivosRemovidos, 1);
    const linhas = await t.linhas();
    assert.equal(linhas.length, 60 + 3);
    assert.deepEqual(ids(linhas.filter((l) => (l.dia as Date).toISOString().startsWith("2024-03-02"))), [1000, 1003, 1006]);
    await assert.rejects(t.sobrescrever(vendas(3, 2000), { substituirOnde: [["dia", "=", "2024-03-02"]] }), /não satisfaz substituirOnde/);
    const tudo = await t.sobrescrever(vendas(5, 5000));
    assert.equal(tudo.arquivosRemovidos, 3);
    assert.deepEqual(ids(await t.linhas()), [5000, 5001, 5002, 5003, 5004]);
    assert.equal((await t.ler({ versao: 0 })).tabela.numRows, 90);
  });

  test("delete drops whole partitions without reading them and rewrites files only where rows match", async () => {
    const t = tabelaDelta(local("exclusao"));
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
    assert.equal(nada.tentativas, 0);
    const hist = await t.historico(1);
    assert.equal(hist[0]!.operacao, "DELETE");
    assert.equal(hist[0]!.metricas.numDeletedRows, "6");
    // A row function deletes too (it cannot prune files, so every file is read).
    const r3 = await t.excluir((l) => Number(l.id) % 2 === 1);
    assert.equal(r3.linhasAfetadas, restantes.filter((i) => i % 2 === 1).length);
    assert.deepEqual(
      ids(await t.linhas()),
      restantes.filter((i) => i % 2 === 0),
    );
  });

  test("update sets constants or computed values on matching rows only", async () => {
    const t = tabelaDelta(local("atualizacao"));
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
    await assert.rejects(
      t.atualizar({ onde: [["id", "=", 1]], definir: { qtd: "muitos" } }),
      /Valor inválido em definir.qtd: "muitos". Esperado integer/,
    );
    await assert.rejects(t.atualizar({ onde: [["id", "=", 1]], definir: { id: null } }), /A coluna 'id' não aceita nulos/);
  });

  test("merge upserts by key: matches update, the rest insert; duplicate source keys are refused", async () => {
    const t = tabelaDelta(local("mesclagem"));
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
    const nada = await t.mesclar(vendas(2, 0), { chaves: ["id"], quandoCorresponder: "ignorar", quandoNaoCorresponder: "ignorar" });
    assert.deepEqual([nada.versao, nada.tentativas], [r2.versao, 0], "a merge that changes nothing commits nothing");
    await assert.rejects(t.mesclar([...vendas(1, 5), ...vendas(1, 5)], { chaves: ["id"] }), /aparece mais de uma vez/);
    await assert.rejects(t.mesclar(vendas(1, 5), { chaves: ["id"], quandoCorresponder: "trocar" as never }), /quandoCorresponder inválido/);
  });
});

describe("optimize, vacuum, restore, checkpoints", () => {
  test("optimize compacts small files per partition without changing the rows", async () => {
    const t = tabelaDelta(local("otimizar"));
    await t.criar({ esquema: ESQUEMA, particionarPor: ["dia"], dados: vendas(30) });
    for (let k = 1; k <= 3; k++) await t.anexar(vendas(30, k * 100));
    const antes = ids(await t.linhas());
    const r = await t.otimizar();
    assert.equal(r.arquivosRemovidos, 12);
    assert.equal(r.arquivosAdicionados, 3);
    assert.equal(r.particoesCompactadas, 3);
    assert.deepEqual(ids(await t.linhas()), antes);
    assert.equal((await t.instantaneo()).arquivos.size, 3);
    const acoes = lerAcoes(await texto("otimizar", `_delta_log/${nomeCommit(r.versao)}`), "optimize");
    const dataChange = acoes.flatMap((a) => ("add" in a ? [a.add.dataChange] : "remove" in a ? [a.remove.dataChange] : []));
    assert.deepEqual(
      dataChange,
      Array.from({ length: 15 }, () => false),
      "12 removes and 3 adds, none changing data",
    );
    assert.equal((await t.otimizar()).arquivosRemovidos, 0, "nothing left to compact");
    await assert.rejects(t.otimizar({ onde: [["id", ">", 1]] }), /só condições sobre colunas de partição; 'id'/);
  });

  test("vacuum keeps files inside the retention period, removes them after it, and a dry run deletes nothing", async () => {
    const t = tabelaDelta(local("otimizar"));
    await assert.rejects(t.vacuum({ retencaoHoras: 1 }), /menor que a da tabela \(168 h\).*verificarRetencao: false/);
    assert.deepEqual((await t.vacuum()).arquivos, []);
    const daquiA8Dias = new Date(Date.now() + 8 * 86_400_000);
    const simulado = await t.vacuum({ agora: daquiA8Dias, simulacao: true });
    assert.equal(simulado.arquivos.length, 12);
    assert.equal((await parquets("otimizar")).length, 15);
    const log = await local("otimizar").listar("_delta_log/");
    const real = await t.vacuum({ agora: daquiA8Dias });
    assert.equal(real.arquivos.length, 12);
    assert.deepEqual(real.arquivos.sort(), simulado.arquivos.sort());
    assert.deepEqual((await parquets("otimizar")).sort(), [...(await t.instantaneo()).arquivos.keys()].sort());
    assert.equal((await t.linhas()).length, 120);
    assert.deepEqual(await local("otimizar").listar("_delta_log/"), log, "the log is never vacuumed");
    assert.equal(log.length, 5);
    // Time travel to a vacuumed version now fails on read, and restore refuses it.
    await assert.rejects(t.restaurar({ versao: 1 }), /já foram apagados pelo vacuum.*A tabela não mudou/);
  });

  test("vacuum honours delta.deletedFileRetentionDuration and a shorter retention when told to", async () => {
    const t = tabelaDelta(local("retencao"));
    await t.criar({ esquema: ESQUEMA, dados: vendas(10), configuracao: { "delta.deletedFileRetentionDuration": "interval 2 hours" } });
    await t.sobrescrever(vendas(5, 100));
    const emTresHoras = new Date(Date.now() + 3 * 3_600_000);
    assert.equal((await t.vacuum({ agora: new Date(Date.now() + 3_600_000) })).arquivos.length, 0, "1 h < 2 h of retention");
    assert.equal((await t.vacuum({ agora: emTresHoras, simulacao: true })).arquivos.length, 1);
    assert.equal(
      (await t.vacuum({ retencaoHoras: 0, verificarRetencao: false, simulacao: true, agora: new Date(Date.now() + 1000) })).arquivos.length,
      1,
    );
    await assert.rejects(t.vacuum({ retencaoHoras: -1, verificarRetencao: false }), /retencaoHoras inválido/);
  });

  test("restore makes an old version current again as a new commit", async () => {
    const t = tabelaDelta(local("restaurar"));
    await t.criar({ esquema: ESQUEMA, particionarPor: ["dia"], dados: vendas(30) });
    await t.excluir([["dia", "=", "2024-03-01"]]);
    await t.anexar(vendas(3, 500));
    const r = await t.restaurar({ versao: 0 });
    assert.equal(r.versao, 3);
    assert.deepEqual(ids(await t.linhas()), ids(vendas(30)));
    assert.equal((await t.historico(1))[0]!.operacao, "RESTORE");
    await assert.rejects(t.restaurar({}), /precisa de \{ versao \} ou \{ timestamp \}/);
  });

  test("a checkpoint every N commits with _last_checkpoint; snapshots from it equal the full replay", async () => {
    const t = tabelaDelta(local("checkpoint"), { intervaloCheckpoint: 3 });
    await t.criar({ esquema: ESQUEMA, particionarPor: ["dia"], dados: vendas(9), configuracao: { "delta.checkpointInterval": "3" } });
    for (let k = 1; k <= 4; k++) await t.anexar(vendas(9, k * 100));
    await t.excluir([["id", "=", 100]]);
    const log = (await local("checkpoint").listar("_delta_log/")).map((o) => o.chave.slice("_delta_log/".length));
    assert.ok(log.includes("00000000000000000003.checkpoint.parquet"), log.join(" "));
    const ultimo = JSON.parse(await texto("checkpoint", "_delta_log/_last_checkpoint")) as {
      version: number;
      size: number;
      numOfAddFiles: number;
    };
    assert.equal(ultimo.version, 3);
    assert.equal(ultimo.numOfAddFiles, 12);
    assert.equal(ultimo.size, 2 + 12);
    // A fresh reader starts from the checkpoint; versions before it still replay from commits.
    const nova = tabelaDelta(local("checkpoint"));
    assert.equal((await nova.linhas()).length, 44);
    assert.equal((await nova.ler({ versao: 4 })).tabela.numRows, 45);
    assert.equal((await nova.ler({ versao: 2 })).tabela.numRows, 27);
    // The same log without the checkpoint replays to the very same snapshot.
    const soCommits = new ArmazenamentoMemoria("memoria://so-commits");
    for (const o of await local("checkpoint").listar("_delta_log/")) {
      if (o.chave.endsWith(".json")) await soCommits.gravar(o.chave, await local("checkpoint").ler(o.chave));
    }
    const doCheckpoint = (await carregarInstantaneo(local("checkpoint")))!;
    const doLog = (await carregarInstantaneo(soCommits))!;
    assert.equal(doLog.versao, doCheckpoint.versao);
    assert.deepEqual([...doLog.arquivos.keys()].sort(), [...doCheckpoint.arquivos.keys()].sort());
    assert.deepEqual([...doLog.tombstones.keys()].sort(), [...doCheckpoint.tombstones.keys()].sort());
    assert.deepEqual(doLog.metadata, doCheckpoint.metadata);
    assert.deepEqual(doLog.protocol, doCheckpoint.protocol);
  });

  test("a log with a missing commit and no checkpoint covering it is refused, not read wrong", async () => {
    const arm = new ArmazenamentoMemoria("memoria://buraco");
    const t = tabelaDelta(arm, { intervaloCheckpoint: 0 });
    await t.criar({ esquema: ESQUEMA, dados: vendas(3) });
    await t.anexar(vendas(3, 10));
    await t.anexar(vendas(3, 20));
    await arm.remover([`_delta_log/${nomeCommit(1)}`]);
    await assert.rejects(tabelaDelta(arm).ler(), /não permite reconstruir a versão 2: faltam os commits 1/);
  });
});

describe("concurrency and conflicts", () => {
  test("two writers appending concurrently: every commit lands once, no version overwritten, rows add up", async () => {
    const arm = new ArmazenamentoMemoria("memoria://concorrencia");
    await tabelaDelta(arm).criar({ esquema: ESQUEMA, particionarPor: ["dia"] });
    await provarEscritoresConcorrentes(() => tabelaDelta(arm));
  });

  test("a delete that read a partition conflicts with an append there committed first, and commits nothing", async () => {
    const base = new ArmazenamentoMemoria("memoria://conflito");
    const arm1 = new ArmazenamentoComGancho(base);
    const t1 = tabelaDelta(arm1);
    await t1.criar({ esquema: ESQUEMA, particionarPor: ["dia"], dados: vendas(30) });
    const t2 = tabelaDelta(base);
    // t1 reads version 0; right before it commits, t2 appends id 3000 (dia 2024-03-01) as version 1.
    arm1.antesDoProximoCommit(async () => void (await t2.anexar(vendas(1, 3000))));
    const erro = await t1.excluir([["dia", "=", "2024-03-01"]]).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(erro instanceof ErroConflito, String(erro));
    assert.ok(erro instanceof ErroLake && erro instanceof ErroLiga, "ErroConflito is an ErroLake and an ErroLiga");
    assert.deepEqual(
      [erro.motivo, erro.operacao, erro.versaoLida, erro.versaoTentada, erro.versaoVencedora, erro.operacaoVencedora],
      ["dadosAcrescentados", "DELETE", 0, 1, 1, "WRITE"],
    );
    assert.match(erro.arquivo!, /^dia=2024-03-01\//);
    const depois = tabelaDelta(base);
    assert.equal((await depois.instantaneo()).versao, 1);
    assert.equal((await depois.linhas()).length, 31);

    // A delete elsewhere (another partition) does not conflict: it lands after the append.
    const arm3 = new ArmazenamentoComGancho(base);
    const t3 = tabelaDelta(arm3);
    arm3.antesDoProximoCommit(async () => void (await t2.anexar(vendas(1, 3003)))); // dia 2024-03-01
    const r = await t3.excluir([["dia", "=", "2024-03-02"]]);
    assert.deepEqual([r.versao, r.tentativas], [3, 2]);
    assert.equal((await tabelaDelta(base).linhas()).length, 31 + 1 - 10);
  });

  test("two rewrites of the same file: the second fails with the file and the winner, and leaves no orphan", async () => {
    const base = new ArmazenamentoMemoria("memoria://reescritas");
    const arm1 = new ArmazenamentoComGancho(base);
    const t1 = tabelaDelta(arm1);
    await t1.criar({ esquema: ESQUEMA, particionarPor: ["dia"], dados: vendas(30) });
    const antes = await parquetsDe(base);
    arm1.antesDoProximoCommit(
      async () => void (await tabelaDelta(base).atualizar({ onde: [["id", "=", 3]], definir: { cliente: "outro" } })),
    );
    const erro = await t1.excluir([["id", "=", 0]]).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(erro instanceof ErroConflito, String(erro));
    assert.deepEqual([erro.motivo, erro.versaoTentada, erro.operacaoVencedora], ["arquivoRemovido", 1, "UPDATE"]);
    assert.match(erro.arquivo!, /^dia=2024-03-01\//);
    // The update's new file is there; the delete's rewritten file was removed with its commit.
    const inst = await tabelaDelta(base).instantaneo();
    assert.equal(inst.versao, 1);
    assert.deepEqual((await parquetsDe(base)).sort(), [...new Set([...antes, ...inst.arquivos.keys()])].sort());
  });

  test("two writers creating the same table: one wins, the other's error names the winner", async () => {
    const base = new ArmazenamentoMemoria("memoria://criacao");
    const arm1 = new ArmazenamentoComGancho(base);
    arm1.antesDoProximoCommit(async () => void (await tabelaDelta(base).criar({ esquema: { a: "long" } })));
    const erro = await tabelaDelta(arm1)
      .criar({ esquema: ESQUEMA, dados: vendas(3) })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(erro instanceof ErroConflito, String(erro));
    assert.deepEqual(
      [erro.motivo, erro.versaoLida, erro.versaoTentada, erro.operacaoVencedora],
      ["tabelaCriada", undefined, 0, "CREATE TABLE"],
    );
    assert.deepEqual(
      (await tabelaDelta(base).instantaneo()).esquema.fields.map((f) => f.name),
      ["a"],
    );
    assert.deepEqual(await parquetsDe(base), [], "the loser's data files were removed");
  });
});

async function parquetsDe(arm: ArmazenamentoMemoria): Promise<string[]> {
  return (await arm.listar("")).map((o) => o.chave).filter((k) => k.endsWith(".parquet") && !k.startsWith("_"));
}

describe("bad input and refusals", () => {
  test("bad input gives pt-BR errors saying what was expected, and leaves the table unchanged", async () => {
    const t = tabelaDelta(local("entrada"));
    await assert.rejects(
      t.criar({ esquema: ESQUEMA, particionarPor: ["mes"] }),
      /Coluna de partição desconhecida: 'mes'. Colunas da tabela: id, cliente/,
    );
    await assert.rejects(t.criar({ esquema: { id: "inteiro" } }), /Tipo desconhecido 'inteiro'/);
    await assert.rejects(t.criar({ esquema: { id: "long", ID: "long" } }), /Colunas repetidas no esquema: 'id' e 'ID'/);
    await assert.rejects(t.criar({ esquema: { id: "long" }, particionarPor: ["id"] }), /particionar por todas as colunas/);
    assert.deepEqual(await local("entrada").listar(""), [], "refused before writing anything");
    await t.criar({ esquema: ESQUEMA, particionarPor: ["dia"], dados: vendas(3) });
    const antes = (await local("entrada").listar("")).map((o) => o.chave);
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
    await assert.rejects(t.excluir([["regiao", "=", "NE"]]), /Coluna desconhecida: 'regiao'/);
    await assert.rejects(t.criar({ esquema: ESQUEMA }), /Já existe uma tabela Delta/);
    assert.equal((await t.criar({ esquema: ESQUEMA, seExistir: "ignorar" })).tentativas, 0);
    await assert.rejects(tabelaDelta(local("nao-existe")).ler(), /Não existe tabela Delta em/);
    assert.equal((await t.instantaneo()).versao, 0);
    assert.deepEqual(
      (await local("entrada").listar("")).map((o) => o.chave),
      antes,
    );
  });

  test("tables using features we do not implement are refused with the feature's name", async () => {
    const escrever = async (nome: string, acoes: unknown[]) => {
      await local(nome).gravar(`_delta_log/${nomeCommit(0)}`, Buffer.from(acoes.map((a) => JSON.stringify(a)).join("\n")));
      return tabelaDelta(local(nome));
    };
    const meta = (conf: Record<string, string>) => ({
      metaData: {
        id: randomUUID(),
        format: { provider: "parquet", options: {} },
        schemaString: JSON.stringify({ type: "struct", fields: [{ name: "a", type: "long", nullable: true, metadata: {} }] }),
        partitionColumns: [],
        configuration: conf,
      },
    });
    const recusa = (recurso: string, texto: RegExp) => (e: Error) =>
      e instanceof ErroRecursoNaoSuportado && e.recurso === recurso && texto.test(e.message);
    const dv = await escrever("dv", [
      { protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ["deletionVectors"], writerFeatures: ["deletionVectors"] } },
      meta({}),
    ]);
    await assert.rejects(dv.ler(), recusa("deletionVectors", /deletion vectors \(deletionVectors\)/));
    const cm = await escrever("cm", [
      { protocol: { minReaderVersion: 2, minWriterVersion: 5 } },
      meta({ "delta.columnMapping.mode": "name" }),
    ]);
    await assert.rejects(cm.ler(), recusa("columnMapping", /column mapping \(columnMapping\)/));
    const leitor9 = await escrever("leitor9", [{ protocol: { minReaderVersion: 9, minWriterVersion: 9 } }, meta({})]);
    await assert.rejects(leitor9.ler(), recusa("minReaderVersion 9", /exige leitor Delta versão 9/));
    const cdf = await escrever("cdf", [
      { protocol: { minReaderVersion: 1, minWriterVersion: 4 } },
      meta({ "delta.enableChangeDataFeed": "true" }),
    ]);
    assert.equal((await cdf.ler()).tabela.numRows, 0, "readable");
    await assert.rejects(cdf.anexar([{ a: 1 }]), recusa("delta.enableChangeDataFeed", /change data feed/));
    const apenas = await escrever("apenas", [
      { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
      meta({ "delta.appendOnly": "true" }),
    ]);
    await apenas.anexar([{ a: 1 }]);
    await assert.rejects(apenas.excluir([["a", "=", 1]]), /somente-acréscimo/);
    // A deletion vector on a file, even without the feature declared, is refused too.
    const dvArquivo = await escrever("dv-arquivo", [
      { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
      meta({}),
      {
        add: {
          path: "x.parquet",
          partitionValues: {},
          size: 1,
          modificationTime: 0,
          dataChange: true,
          deletionVector: { storageType: "u", pathOrInlineDv: "x", sizeInBytes: 1, cardinality: 1 },
        },
      },
    ]);
    await assert.rejects(dvArquivo.ler(), recusa("deletionVectors", /deletion vectors/));
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
    const arm = new ArmazenamentoS3("raw", "_testes/sem-condicional", falso as never);
    await assert.rejects(
      arm.gravarSeAusente("_delta_log/00000000000000000000.json", Buffer.from("{}")),
      /não respeita escritas condicionais/,
    );
    assert.ok(puts.length > 0 && puts.every((k) => k.includes(".liga-lake/sonda-")), puts.join(" "));
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
      Module._extensions[".ts"] = function (m, filename) {
        const js = ts.transpileModule(readFileSync(filename, "utf8"), {
          compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
        }).outputText;
        m._compile(js, filename);
      };
      const lake = require(path.join(${JSON.stringify(root)}, "lib", "lake", "index.ts"));
      const t = lake.tabelaDelta("s3://raw/_testes/cjs");
      const parquet = require(path.join(${JSON.stringify(root)}, "lib", "lake", "parquet.ts"));
      const esquema = { type: "struct", fields: [{ name: "a", type: "long", nullable: true, metadata: {} }] };
      const tabela = lake.conformar([{ a: 1n }, { a: null }], esquema);
      const volta = parquet.lerParquet(parquet.gravarParquet(tabela));
      const mem = lake.tabelaDelta(new lake.ArmazenamentoMemoria());
      mem.criar({ esquema: { a: "long" }, dados: [{ a: 1n }, { a: 2n }] })
        .then(() => mem.excluir([["a", "=", 1]]))
        .then(() => mem.contar())
        .then((n) => console.log(typeof t.ler === "function" && volta.numRows === 2 && n === 1 ? "ok" : "falhou"))
        .catch((e) => { console.error(e); process.exit(1); });
    `;
    const r = spawnSync(process.execPath, ["-e", script], { cwd: root, encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), "ok", r.stderr);
  });
});
