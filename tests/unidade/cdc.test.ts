// lib/cdc without any service: the envelope decoder (with and without schemas, tombstones,
// decimals, dates, keys, transaction markers), the row an event is about, the trace summary and
// hints, and the typed errors — a local HTTP server stands in for Kafka Connect, and nothing
// listens where Kafka is said to be.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, test } from "node:test";
import {
  decodificar,
  decodificarChave,
  decodificarTransacao,
  esperarRodando,
  linhaDoEvento,
  reiniciarConector,
  resumoDoEvento,
  resumoDoTrace,
  statusConector,
  TABELAS_CAPTURADAS,
  type EventoCdc,
} from "../../lib/cdc/index";
import { Kafka, logLevel } from "kafkajs";
import { dica } from "../../lib/cdc/diagnostico";
import { conectar } from "../../lib/cdc/kafka";
import { TABELAS_OLTP } from "../../lib/dominio";
import { ErroConectorAusente, ErroLiga, ErroServicoFora } from "../../lib/erros";
import { TABELAS_OLTP as DO_OLTP } from "../../lib/oltp";

// A stand-in for Kafka Connect that knows no connector (404 as Connect answers it), and a
// Kafka address where nothing listens. lib/config reads the environment once, on first use.
const connect = createServer((req, res) => {
  res.writeHead(404, { "Content-Type": "application/json" });
  res.end(JSON.stringify({ error_code: 404, message: `Connector ${req.url} not found` }));
});
await new Promise<void>((resolve) => connect.listen(0, "127.0.0.1", resolve));
process.env.CONNECT_HOST = "127.0.0.1";
process.env.CONNECT_PORT = String((connect.address() as AddressInfo).port);
process.env.KAFKA_HOST = "127.0.0.1";
process.env.KAFKA_PORT = "1";
after(() => {
  if (connect.listening) connect.close();
});

describe("decoder", () => {
  const depois = { id: 1, nome: "Ana", dt_nasc: -7000, valor: "289.58", criado: "2024-05-01T12:00:00.123456Z" };
  const payload = {
    before: null,
    after: depois,
    source: {
      connector: "postgresql",
      db: "liga_sudoers",
      schema: "public",
      table: "pessoas",
      ts_ms: 1,
      lsn: 10,
      txId: 5,
      snapshot: "false",
    },
    op: "c",
    ts_ms: 2,
  };
  const linha = {
    type: "struct",
    optional: true,
    fields: [
      { type: "int64", optional: false, field: "id" },
      { type: "string", optional: false, field: "nome" },
      { type: "int32", optional: false, name: "io.debezium.time.Date", version: 1, field: "dt_nasc" },
      { type: "string", optional: false, field: "valor" },
      { type: "string", optional: false, name: "io.debezium.time.ZonedTimestamp", version: 1, field: "criado" },
    ],
  };
  const schema = {
    type: "struct",
    name: "liga_sudoers.public.pessoas.Envelope",
    fields: [
      { ...linha, field: "before" },
      { ...linha, field: "after" },
      { type: "struct", field: "source", fields: [] },
      { type: "string", field: "op" },
      { type: "int64", field: "ts_ms" },
    ],
  };

  test("with schemas: Date fields become YYYY-MM-DD, strings stay exact", () => {
    const e = decodificar(JSON.stringify({ schema, payload }));
    assert.equal(e?.op, "c");
    assert.deepEqual(e?.after, { ...depois, dt_nasc: "1950-11-02" });
    assert.equal(e?.source.table, "pessoas");
    assert.equal(
      decodificar(Buffer.from(JSON.stringify({ schema, payload: { ...payload, after: { ...depois, dt_nasc: 0 } } })))?.after?.dt_nasc,
      "1970-01-01",
    );
  });

  test("without schemas: the bare payload as sent", () => {
    assert.deepEqual(decodificar(JSON.stringify(payload)), payload);
  });

  test("tombstones and empty values are null", () => {
    assert.equal(decodificar(null), null);
    assert.equal(decodificar(Buffer.alloc(0)), null);
    assert.equal(decodificar(""), null);
    assert.equal(decodificar(JSON.stringify({ schema: null, payload: null })), null);
    assert.equal(decodificarTransacao(null), null);
  });

  test("byte-encoded decimals (decimal.handling.mode=precise) become exact strings", () => {
    const dec = (scale: number) => ({
      type: "bytes",
      name: "org.apache.kafka.connect.data.Decimal",
      parameters: { scale: String(scale) },
      field: "v",
    });
    const esquema = { type: "struct", fields: [{ type: "struct", field: "after", fields: [dec(2)] }] };
    const casos: [number[], string][] = [
      [[0x71, 0x1e], "289.58"], // 28958
      [[0x8e, 0xe2], "-289.58"], // -28958, two's complement
      [[0x05], "0.05"],
      [[0x00], "0.00"],
    ];
    for (const [bytes, esperado] of casos) {
      const v = Buffer.from(bytes).toString("base64");
      const e = decodificar(JSON.stringify({ schema: esquema, payload: { op: "u", before: null, after: { v }, source: {}, ts_ms: 0 } }));
      assert.equal(e?.after?.v, esperado);
    }
  });

  test("not a change event: a clear error; transaction markers have their own decoder", () => {
    assert.throws(
      () => decodificar("isto não é json"),
      (e) => e instanceof ErroLiga && /não é JSON/.test(e.message),
    );
    assert.throws(() => decodificar(JSON.stringify({ status: "BEGIN", id: "1:2" })), /decodificarTransacao/);
    assert.throws(() => decodificarTransacao(JSON.stringify(payload)), /não é um marcador de transação/);
    const marcador = { status: "END", id: "7:9", event_count: 3, data_collections: [], ts_ms: 1 };
    assert.deepEqual(decodificarTransacao(JSON.stringify(marcador)), marcador);
    assert.deepEqual(decodificarTransacao(JSON.stringify({ schema: { type: "struct" }, payload: marcador })), marcador);
  });

  test("keys: unwrapped with or without schema, null when absent, the text when not JSON", () => {
    assert.deepEqual(decodificarChave(JSON.stringify({ id: 7 })), { id: 7 });
    assert.deepEqual(decodificarChave(Buffer.from(JSON.stringify({ schema: { type: "struct" }, payload: { id: 7 } }))), { id: 7 });
    // A bare key whose table has a column named "payload" is not an envelope.
    assert.deepEqual(decodificarChave(JSON.stringify({ payload: 3 })), { payload: 3 });
    assert.equal(decodificarChave(null), null);
    assert.equal(decodificarChave(Buffer.alloc(0)), null);
    assert.equal(decodificarChave("chave-solta"), "chave-solta");
  });

  test("resumoDoEvento: op and processing instant with or without schemas; never throws", () => {
    assert.deepEqual(resumoDoEvento(JSON.stringify(payload)), { op: "c", tsMs: 2 });
    assert.deepEqual(resumoDoEvento(JSON.stringify({ schema, payload: { ...payload, op: "d", ts_ms: 9 } })), { op: "d", tsMs: 9 });
    assert.deepEqual(resumoDoEvento(null), { op: null, tsMs: null });
    assert.deepEqual(resumoDoEvento("{quebrado"), { op: null, tsMs: null });
    assert.deepEqual(resumoDoEvento(JSON.stringify({ schema: null, payload: null })), { op: null, tsMs: null });
  });

  test("linhaDoEvento: after for c/u/r, before for d, the key's columns when the image is missing", () => {
    const ev = (
      op: EventoCdc<Record<string, unknown>>["op"],
      antes: Record<string, unknown> | null,
      apos: Record<string, unknown> | null,
    ) => ({ op, before: antes, after: apos, source: payload.source, ts_ms: 0 }) as EventoCdc<Record<string, unknown>>;
    assert.deepEqual(linhaDoEvento(ev("c", null, { id: 1, nome: "A" }), { id: 1 }), { id: 1, nome: "A" });
    assert.deepEqual(linhaDoEvento(ev("u", { id: 1, nome: "A" }, { id: 1, nome: "B" }), { id: 1 }), { id: 1, nome: "B" });
    assert.deepEqual(linhaDoEvento(ev("d", { id: 1, nome: "B" }, null), { id: 1 }), { id: 1, nome: "B" });
    assert.deepEqual(linhaDoEvento(ev("d", null, null), { id: 1 }), { id: 1 });
    assert.equal(linhaDoEvento(ev("d", null, null), "texto"), null);
    assert.equal(linhaDoEvento(ev("d", null, null), null), null);
  });
});

describe("diagnostics", () => {
  test("trace summary keeps the error and its causes, not the frames", () => {
    const trace = [
      "org.apache.kafka.connect.errors.ConnectException: Falhou",
      "\tat a.b.C.d(C.java:1)",
      "\tat a.b.C.e(C.java:2)",
      'Caused by: org.postgresql.util.PSQLException: FATAL: password authentication failed for user "x"',
      "\tat org.postgresql.X(X.java:3)",
      "\t... 12 more",
    ].join("\n");
    const resumo = resumoDoTrace(trace);
    assert.match(resumo, /ConnectException: Falhou/);
    assert.match(resumo, /password authentication failed/);
    assert.doesNotMatch(resumo, /C\.java|more/);
  });

  test("a hint for each failure a student meets, and the log otherwise", () => {
    assert.match(dica("FATAL: password authentication failed for user"), /recusou a senha/);
    assert.match(dica('ERROR: publication "x" does not exist'), /prepararCaptura\(\)/);
    assert.match(dica(`Could not resolve \${env:CDC_USER}`), /reinicie o Connect/);
    assert.match(dica("algo inesperado"), /logs connect/);
  });
});

describe("typed errors", () => {
  test("an unregistered connector is an ErroConectorAusente naming it and the Connect URL", async () => {
    const url = `http://127.0.0.1:${process.env.CONNECT_PORT}`;
    for (const chamada of [() => statusConector("liga-nao-existe"), () => reiniciarConector("liga-nao-existe")]) {
      await assert.rejects(chamada(), (e) => e instanceof ErroConectorAusente && e.conector === "liga-nao-existe" && e.url === url);
    }
  });

  test("esperarRodando waits out an unregistered connector (it may be about to appear), bounded", async () => {
    const t0 = Date.now();
    await assert.rejects(
      esperarRodando("liga-nao-existe", 1000),
      (e) => e instanceof ErroLiga && /não ficou RUNNING em 1 s \(ainda sem status\)/.test(e.message),
    );
    assert.ok(Date.now() - t0 < 5000);
  });

  test("Kafka Connect unreachable: ErroServicoFora with the URL that was tried", async () => {
    await new Promise<void>((resolve) => connect.close(() => resolve()));
    const url = `http://127.0.0.1:${process.env.CONNECT_PORT}`;
    await assert.rejects(
      statusConector("qualquer"),
      (e) => e instanceof ErroServicoFora && e.servico === "connect" && e.url.startsWith(url),
    );
  });

  test("Kafka unreachable: ErroServicoFora with the brokers", async () => {
    // The kit's client retries for ≈10 s first; one without retries fails the same way, at once.
    const semRetentativas = new Kafka({ brokers: ["127.0.0.1:1"], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    await assert.rejects(
      conectar(semRetentativas.admin()),
      (e) => e instanceof ErroServicoFora && e.servico === "kafka" && e.url === "127.0.0.1:1",
    );
  });

  test("the captured tables are the domain's six, the very same list everywhere", () => {
    assert.equal(TABELAS_CAPTURADAS, TABELAS_OLTP);
    assert.equal(DO_OLTP, TABELAS_OLTP);
  });
});
