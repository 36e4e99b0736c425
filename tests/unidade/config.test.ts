// lib/config: .env.example is the one source; .env and the environment override it.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { buildConfig, loadEnv, repoRoot } from "../../lib/config";

const root = repoRoot();

describe("lib/config", () => {
  test("defaults equal the ports docker compose publishes", () => {
    const cfg = buildConfig(loadEnv(root, {}), root);
    assert.deepEqual(
      [
        cfg.oltp.port,
        cfg.dw.port,
        cfg.kafka.port,
        cfg.connect.port,
        cfg.minio.port,
        cfg.minio.consolePort,
        cfg.airflow.port,
        cfg.jupyter.port,
      ],
      [5432, 5433, 9092, 8083, 9000, 9001, 8080, 8888],
    );
    assert.equal(cfg.oltp.database, "liga_sudoers");
    assert.equal(cfg.dw.database, "liga_sudoers_dw");
    assert.deepEqual(cfg.minio.buckets, ["raw", "trusted", "refined"]);
    assert.equal(cfg.connect.url, "http://localhost:8083");
  });

  test(".env overrides .env.example, and the environment overrides both", () => {
    const dir = mkdtempSync(join(tmpdir(), "liga-config-"));
    writeFileSync(join(dir, ".env.example"), readFileSync(join(root, ".env.example")));
    writeFileSync(join(dir, ".env"), "OLTP_PORT=6543\nDW_PORT=6544\n");
    const cfg = buildConfig(loadEnv(dir, { DW_PORT: "7000", KAFKA_HOST: "kafka" }), dir);
    assert.equal(cfg.oltp.port, 6543);
    assert.equal(cfg.dw.port, 7000);
    assert.deepEqual(cfg.kafka.brokers, ["kafka:9092"]);
  });

  test("an invalid port is refused naming the variable and what was expected", () => {
    assert.throws(
      () => buildConfig({ ...loadEnv(root, {}), KAFKA_PORT: "90x2" }, root),
      /KAFKA_PORT=90x2 não é uma porta válida: esperado um inteiro entre 1 e 65535/,
    );
  });

  test("a missing variable is named, with where to define it", () => {
    const env = loadEnv(root, {});
    delete env.MINIO_ROOT_PASSWORD;
    assert.throws(() => buildConfig(env, root), /MINIO_ROOT_PASSWORD ausente: defina-a em \.env/);
  });

  test("no host, port or password literal is repeated in the code", async () => {
    const { execFileSync } = await import("node:child_process");
    const tracked = execFileSync("git", ["ls-files", "lib", "stack", "notebooks", "tests"], { cwd: root, encoding: "utf8" })
      .split("\n")
      .filter((f) => /\.(ts|py|ipynb|properties|sh)$/.test(f) && f !== "tests/unidade/config.test.ts");
    const offenders: string[] = [];
    for (const file of tracked) {
      const text = readFileSync(join(root, file), "utf8");
      for (const literal of [
        "sudoers1234",
        "sudoers123",
        "captura-sudoers",
        "leitura-sudoers",
        "localhost:5432",
        "localhost:9092",
        ":8083",
        "5433",
      ]) {
        if (text.includes(literal)) offenders.push(`${file}: ${literal}`);
      }
    }
    assert.deepEqual(offenders, []);
  });
});
