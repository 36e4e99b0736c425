// The native stack against its real services: health, a Kafka round trip, private MinIO
// buckets, Debezium in Connect, the CLI's answers, an idempotent `up`, and `down` by pid.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { request } from "node:http";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import { Kafka, logLevel } from "kafkajs";
import { Client as MinioClient } from "minio";
import { config } from "../../lib/config";
import { query } from "../../lib/db";
import { healthReport } from "../../lib/health";
import { SERVICES } from "../../stack/services";
import { isAlive, readPid, stackDirs } from "../../stack/proc";

const cfg = config();

/** An unsigned request on a fresh connection (MinIO closes a connection after refusing a request). */
function anonymous(method: string, url: string, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end(body);
  });
}

function stackCli(...args: string[]): { code: number | null; out: string; ms: number } {
  const started = Date.now();
  const result = spawnSync(process.execPath, ["--import", "tsx", "cli/stack.ts", ...args], { cwd: cfg.root, encoding: "utf8" });
  return { code: result.status, out: result.stdout + result.stderr, ms: Date.now() - started };
}

describe("native stack services", () => {
  test("every service answers its health probe", async () => {
    const report = await healthReport(cfg);
    assert.deepEqual(report.map((h) => h.service).sort(), [...SERVICES].sort());
    for (const h of report) assert.ok(h.ok, `${h.service}: ${h.detail}`);
  });

  test("the OLTP has logical WAL for Debezium; the DW is a separate server", async () => {
    const [oltp] = await query<{ wal_level: string; port: string }>(
      "oltp",
      "SELECT current_setting('wal_level') AS wal_level, current_setting('port') AS port",
    );
    const [dw] = await query<{ port: string; db: string }>("dw", "SELECT current_setting('port') AS port, current_database() AS db");
    assert.equal(oltp.wal_level, "logical");
    assert.equal(Number(oltp.port), cfg.oltp.port);
    assert.equal(Number(dw.port), cfg.dw.port);
    assert.equal(dw.db, cfg.dw.database);
  });

  test("Kafka takes a message and gives it back to a consumer group", async () => {
    const kafka = new Kafka({ clientId: "liga-test", brokers: cfg.kafka.brokers, logLevel: logLevel.NOTHING });
    const topic = `teste.stack.${randomUUID()}`;
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic, messages: [{ key: "k", value: "olá, KRaft" }] });
      await producer.disconnect();
      const consumer = kafka.consumer({ groupId: `liga-test-${randomUUID()}` });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const received = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no message within 30 s")), 30_000);
        void consumer.run({
          eachMessage: async ({ message }) => {
            clearTimeout(timer);
            resolve(message.value?.toString() ?? "");
          },
        });
      });
      await consumer.disconnect();
      assert.equal(received, "olá, KRaft");
    } finally {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });

  test("Kafka Connect lists the Debezium PostgreSQL connector plugin", async () => {
    const plugins = (await (await fetch(`${cfg.connect.url}/connector-plugins`)).json()) as { class: string; version: string }[];
    const debezium = plugins.find((p) => p.class === "io.debezium.connector.postgresql.PostgresConnector");
    assert.equal(debezium?.version, cfg.versions.debezium);
  });

  test("MinIO buckets exist and are private: anonymous reads and writes are denied", async () => {
    const minio = new MinioClient({
      endPoint: cfg.minio.host,
      port: cfg.minio.port,
      useSSL: false,
      accessKey: cfg.minio.accessKey,
      secretKey: cfg.minio.secretKey,
    });
    const names = (await minio.listBuckets()).map((b) => b.name);
    for (const bucket of cfg.minio.buckets) {
      assert.ok(names.includes(bucket), `bucket ${bucket} missing`);
      const key = `teste/${randomUUID()}.txt`;
      await minio.putObject(bucket, key, Buffer.from("privado"));
      try {
        assert.equal(await anonymous("GET", `${cfg.minio.endpoint}/${bucket}/${key}`), 403, `anonymous GET on ${bucket}`);
        assert.equal(await anonymous("GET", `${cfg.minio.endpoint}/${bucket}/`), 403, `anonymous list on ${bucket}`);
        assert.equal(await anonymous("PUT", `${cfg.minio.endpoint}/${bucket}/anon.txt`, "x"), 403, `anonymous PUT on ${bucket}`);
      } finally {
        await minio.removeObject(bucket, key);
      }
    }
  });
});

describe("npm run stack", () => {
  test("a second `up` with everything healthy does nothing and says so", () => {
    const { code, out } = stackCli("up");
    assert.equal(code, 0, out);
    assert.match(out, /nada a fazer/);
    assert.doesNotMatch(out, /Subindo/);
  });

  test("`status` prints a healthy line per service and exits 0", () => {
    const { code, out } = stackCli("status");
    assert.equal(code, 0, out);
    for (const service of SERVICES) assert.match(out, new RegExp(`^ok\\s+${service}\\s`, "m"));
  });

  test("`logs` shows a service's log; bad arguments say what was expected and exit 2", () => {
    const logs = stackCli("logs", "kafka", "-n", "5");
    assert.equal(logs.code, 0, logs.out);
    assert.match(logs.out, /==> \.stack\/logs\/kafka\.log <==/);
    const unknown = stackCli("logs", "zookeeper");
    assert.equal(unknown.code, 2);
    assert.match(unknown.out, /Serviço desconhecido: zookeeper\. Esperado um de: postgres-oltp/);
    const badCount = stackCli("logs", "kafka", "-n", "muitas");
    assert.equal(badCount.code, 2);
    assert.match(badCount.out, /Esperado um inteiro positivo/);
    const badCommand = stackCli("subir");
    assert.equal(badCommand.code, 2);
    assert.match(badCommand.out, /Comando desconhecido: "subir"/);
  });

  test("`down` stops every process it started, by pid; `up` brings all back healthy", { timeout: 10 * 60_000 }, async () => {
    const dirs = stackDirs(cfg.root);
    const pids = ["kafka", "connect", "minio", "jupyter"].map((s) => readPid(dirs, s));
    assert.ok(
      pids.every((p) => p !== undefined && isAlive(p)),
      `pids: ${pids.join(", ")}`,
    );
    const down = stackCli("down");
    assert.equal(down.code, 0, down.out);
    for (const service of SERVICES) assert.match(down.out, new RegExp(`${service}: parado`));
    for (const pid of pids) assert.ok(!isAlive(pid!), `pid ${pid} still alive`);
    const report = await healthReport(cfg);
    assert.ok(
      report.every((h) => !h.ok),
      report
        .filter((h) => h.ok)
        .map((h) => h.service)
        .join(", "),
    );
    const up = stackCli("up");
    assert.equal(up.code, 0, up.out);
    for (const service of SERVICES) assert.match(up.out, new RegExp(`^ok\\s+${service}\\s`, "m"));
  });
});
