// docker-compose.yml checked with the real Compose v2 CLI (built from its Go module by
// stack/compose.ts; no Docker engine needed): interpolation from .env.example, services,
// healthchecks, published ports, service-name endpoints, private buckets, pt-BR hint.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { before, describe, test } from "node:test";
import { parse } from "dotenv";
import { parse as parseYaml } from "yaml";
import { composeConfig, dockerConfigDir, installCompose, runCompose } from "../../stack/compose";
import { cacheDir } from "../../stack/proc";

const root = resolve(import.meta.dirname, "..", "..");
const envFile = join(root, ".env.example");
const env = parse(readFileSync(envFile));
const rawYaml = readFileSync(join(root, "docker-compose.yml"), "utf8");
const HINT = "copie .env.example para .env";

interface Port {
  target: number;
  published?: string;
}
interface Service {
  image?: string;
  build?: { context: string; args?: Record<string, string> };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | null>;
  ports?: Port[];
  volumes?: { type: string; source?: string; target: string; read_only?: boolean }[];
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
}
interface Model {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const LONG_RUNNING = ["postgres-oltp", "postgres-dw", "kafka", "connect", "minio", "airflow", "spark", "jupyter"];
const ONE_SHOT = ["minio-init"];
const KIT_SERVICES = ["jupyter", "airflow"];

let compose: string;
let model: Model;

function service(name: string): Service {
  const found = model.services[name];
  assert.ok(found, `service ${name} missing`);
  return found;
}

function published(name: string): Map<number, string | undefined> {
  return new Map((service(name).ports ?? []).map((p) => [p.target, p.published]));
}

before(async () => {
  compose = await installCompose({ cacheDir: cacheDir() });
  model = (await composeConfig(root, envFile, { compose })) as unknown as Model;
});

describe("docker-compose.yml", () => {
  test("validates with the env file (config --quiet)", async () => {
    const result = await runCompose(root, ["config", "--quiet"], { envFile, compose });
    assert.equal(result.code, 0, result.stderr);
  });

  test("runs as `docker compose` through the CLI plugin when a docker CLI exists", async (t) => {
    let hasDocker = true;
    try {
      execFileSync("docker", ["--version"], { stdio: "ignore" });
    } catch {
      hasDocker = false;
    }
    if (!hasDocker) {
      t.skip("no docker CLI on this machine");
      return;
    }
    const out = execFileSync("docker", ["compose", "--env-file", envFile, "config", "--quiet"], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_CONFIG: dockerConfigDir(cacheDir()) },
      encoding: "utf8",
    });
    assert.equal(out, "");
  });

  test("every service exists; long-running ones have a healthcheck", () => {
    for (const name of [...LONG_RUNNING, ...ONE_SHOT]) service(name);
    for (const name of LONG_RUNNING) {
      const hc = service(name).healthcheck;
      assert.ok(hc && !hc.disable && hc.test && hc.test.length > 0, `${name} has no healthcheck`);
    }
  });

  test("one-shot jobs declare it and are awaited with service_completed_successfully", () => {
    for (const name of ONE_SHOT) {
      assert.equal(service(name).healthcheck?.disable, true, `${name}: healthcheck should be explicitly disabled`);
      assert.equal(service(name).restart, "no");
      const waiters = Object.values(model.services).filter((s) => s.depends_on?.[name]?.condition === "service_completed_successfully");
      assert.ok(waiters.length > 0, `nobody waits for ${name}`);
    }
  });

  test("data lives in named volumes; dependants wait for healthy services", () => {
    const dataDirs: [string, string][] = [
      ["postgres-oltp", "/var/lib/postgresql/data"],
      ["postgres-dw", "/var/lib/postgresql/data"],
      ["kafka", "/var/lib/kafka/data"],
      ["minio", "/data"],
    ];
    for (const [name, target] of dataDirs) {
      const mount = service(name).volumes?.find((v) => v.target === target);
      assert.equal(mount?.type, "volume", `${name}: ${target} should be a named volume`);
      assert.ok(mount?.source && model.volumes?.[mount.source] !== undefined, `${name}: volume declared`);
    }
    const waits: [string, string][] = [
      ["connect", "kafka"],
      ["connect", "postgres-oltp"],
      ["minio-init", "minio"],
      ["airflow", "postgres-oltp"],
      ["airflow", "postgres-dw"],
      ["jupyter", "postgres-oltp"],
      ["jupyter", "postgres-dw"],
      ["jupyter", "kafka"],
      ["jupyter", "connect"],
    ];
    for (const [from, to] of waits) {
      assert.equal(service(from).depends_on?.[to]?.condition, "service_healthy", `${from} should wait for ${to}`);
    }
  });

  test("published ports equal the env file values, container ports fixed", () => {
    const expected: [string, number, string][] = [
      ["postgres-oltp", 5432, "OLTP_PORT"],
      ["postgres-dw", 5432, "DW_PORT"],
      ["kafka", 9092, "KAFKA_PORT"],
      ["connect", 8083, "CONNECT_PORT"],
      ["minio", 9000, "MINIO_PORT"],
      ["minio", 9001, "MINIO_CONSOLE_PORT"],
      ["airflow", 8080, "AIRFLOW_PORT"],
      ["jupyter", 8888, "JUPYTER_PORT"],
      ["spark", 4040, "SPARK_UI_PORT"],
      ["spark", 15002, "SPARK_CONNECT_PORT"],
    ];
    for (const [name, target, variable] of expected) {
      assert.ok(env[variable], `${variable} missing from ${envFile}`);
      assert.equal(published(name).get(target), env[variable], `${name}:${target} should publish ${variable}`);
    }
    const all = Object.values(model.services).flatMap((s) => (s.ports ?? []).map((p) => p.published));
    assert.equal(new Set(all).size, all.length, `a host port is published twice: ${all.join(",")}`);
    assert.equal(all.length, expected.length, "unexpected published ports");
  });

  test("changing every *_PORT in the env file moves every published port", async () => {
    const dir = mkdtempSync(join(tmpdir(), "compose-ports-"));
    try {
      const shifted = Object.entries(env)
        .map(([k, v]) => `${k}=${/_PORT$/.test(k) ? String(Number(v) + 10000) : v}`)
        .join("\n");
      const file = join(dir, "env");
      writeFileSync(file, `${shifted}\n`);
      const moved = (await composeConfig(root, file, { compose })) as unknown as Model;
      for (const [name, s] of Object.entries(moved.services)) {
        for (const p of s.ports ?? []) {
          const original = model.services[name].ports?.find((q) => q.target === p.target)?.published;
          assert.equal(Number(p.published), Number(original) + 10000, `${name}:${p.target} ignores the env file`);
        }
      }
      assert.equal(
        moved.services.kafka.environment?.KAFKA_ADVERTISED_LISTENERS?.includes(`localhost:${Number(env.KAFKA_PORT) + 10000}`),
        true,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("raw YAML repeats no credential, port or version literally", () => {
    const secrets = [
      "POSTGRES_PASSWORD",
      "POSTGRES_USER",
      "CDC_USER",
      "CDC_PASSWORD",
      "MINIO_ROOT_USER",
      "MINIO_ROOT_PASSWORD",
      "JUPYTER_TOKEN",
    ];
    const versions = Object.keys(env).filter((k) => k.endsWith("_VERSION"));
    const names = ["OLTP_DB", "DW_DB", "CDC_TOPIC_PREFIX", "LAKE_BUCKETS"];
    for (const key of [...secrets, ...names, ...versions]) {
      const value = env[key];
      if (!value || (versions.includes(key) && !/[.\-A-Za-z]/.test(value))) continue; // "15" is too generic to scan
      const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      const literal = new RegExp(`(^|[^\\w.-])${escaped}($|[^\\w.-])`, "m");
      assert.doesNotMatch(rawYaml, literal, `${key}'s value "${value}" is written literally in docker-compose.yml`);
    }
    // Every published port is "${X_PORT:?hint}:<fixed container port>" in the raw file.
    const raw = parseYaml(rawYaml) as { services: Record<string, { ports?: unknown[] }> };
    let mappings = 0;
    for (const [name, s] of Object.entries(raw.services)) {
      for (const p of s.ports ?? []) {
        mappings += 1;
        assert.equal(typeof p, "string", `${name}: use the short "host:container" port syntax`);
        assert.match(String(p), /^\$\{[A-Z_]+_PORT:\?[^}]+\}:\d+$/, `${name}: literal host port in "${String(p)}"`);
      }
    }
    assert.ok(mappings > 0);
    // Every image tag and build arg comes from a variable.
    for (const m of rawYaml.matchAll(/^\s*image:\s*(\S+)/gm)) assert.match(m[1], /:\$\{[A-Z_]+:\?/, `literal image tag: ${m[1]}`);
    // Every reference fails with the hint when missing (AIRFLOW_UID is Airflow's optional override).
    for (const m of rawYaml.matchAll(/\$\{([A-Z_]+)([^}]*)\}/g)) {
      if (m[1] === "AIRFLOW_UID") continue;
      assert.equal(m[2], `:?${HINT}`, `\${${m[1]}} should be \${${m[1]}:?${HINT}}`);
    }
  });

  test("kit containers get the .env values with service-name endpoints", () => {
    for (const name of KIT_SERVICES) {
      const e = service(name).environment ?? {};
      const expected: Record<string, string> = {
        OLTP_HOST: "postgres-oltp",
        OLTP_PORT: "5432",
        DW_HOST: "postgres-dw",
        DW_PORT: "5432",
        KAFKA_HOST: "kafka",
        KAFKA_PORT: "29092",
        CONNECT_HOST: "connect",
        CONNECT_PORT: "8083",
        MINIO_HOST: "minio",
        MINIO_PORT: "9000",
        JUPYTER_HOST: "0.0.0.0",
        LIGA_SUDOERS_HOME: "/workspace",
      };
      for (const [k, v] of Object.entries(expected)) assert.equal(e[k], v, `${name}: ${k}`);
      for (const k of [
        "POSTGRES_USER",
        "POSTGRES_PASSWORD",
        "OLTP_DB",
        "DW_DB",
        "MINIO_ROOT_USER",
        "MINIO_ROOT_PASSWORD",
        "LAKE_BUCKETS",
        "CDC_TOPIC_PREFIX",
        "CDC_USER",
        "CDC_PASSWORD",
        "JUPYTER_TOKEN",
      ]) {
        assert.equal(e[k], env[k], `${name}: ${k} should come from the env file`);
      }
      const mounts = service(name).volumes ?? [];
      assert.ok(
        mounts.some((v) => v.type === "bind" && v.source === root && v.target === "/workspace"),
        `${name}: repo mount`,
      );
    }
  });

  test("databases: logical WAL on the OLTP, PostGIS on the DW, init scripts mounted", () => {
    const oltp = service("postgres-oltp");
    assert.equal(oltp.image, `postgres:${env.POSTGRES_VERSION}`);
    const cmd = (oltp.command ?? []).join(" ");
    assert.match(cmd, /wal_level=logical/);
    for (const setting of ["max_replication_slots", "max_wal_senders"]) {
      const m = cmd.match(new RegExp(`${setting}=(\\d+)`));
      assert.ok(m && Number(m[1]) >= 10, `${setting} >= 10`);
    }
    assert.ok(
      oltp.volumes?.some((v) => v.source === join(root, "postgresql-init") && v.target === "/docker-entrypoint-initdb.d"),
      "postgresql-init mounted",
    );
    assert.ok(service("postgres-dw").image?.startsWith(`postgis/postgis:${env.POSTGRES_VERSION}-`));
    assert.equal(service("postgres-oltp").environment?.POSTGRES_DB, env.OLTP_DB);
    assert.equal(service("postgres-dw").environment?.POSTGRES_DB, env.DW_DB);
  });

  test("kafka KRaft without ZooKeeper; connect runs Debezium with debezium-init read-only", () => {
    assert.ok(!Object.keys(model.services).some((n) => n.includes("zookeeper")));
    const kafka = service("kafka");
    assert.equal(kafka.image, `apache/kafka:${env.KAFKA_VERSION}`);
    assert.equal(kafka.environment?.KAFKA_PROCESS_ROLES, "broker,controller");
    assert.match(kafka.environment?.KAFKA_ADVERTISED_LISTENERS ?? "", /kafka:29092/);
    assert.match(kafka.environment?.KAFKA_ADVERTISED_LISTENERS ?? "", new RegExp(`localhost:${env.KAFKA_PORT}\\b`));
    const connect = service("connect");
    assert.equal(connect.image, `quay.io/debezium/connect:${env.DEBEZIUM_VERSION}`);
    assert.equal(connect.environment?.BOOTSTRAP_SERVERS, "kafka:29092");
    assert.equal(connect.depends_on?.kafka?.condition, "service_healthy");
    assert.ok(connect.volumes?.some((v) => v.source === join(root, "debezium-init") && v.read_only === true));
    // What debezium-init/conector-oltp.json resolves through ${env:…} inside the Connect worker.
    assert.equal(connect.environment?.CONNECT_CONFIG_PROVIDERS, "env");
    const expected: Record<string, string> = { OLTP_HOST: "postgres-oltp", OLTP_PORT: "5432" };
    for (const k of ["OLTP_DB", "CDC_USER", "CDC_PASSWORD", "CDC_TOPIC_PREFIX"]) expected[k] = env[k];
    for (const [k, v] of Object.entries(expected)) assert.equal(connect.environment?.[k], v, `connect: ${k}`);
  });

  test("lake buckets are created and never made public", () => {
    assert.doesNotMatch(rawYaml, /anonymous\s+set\s+(public|download|upload)/);
    assert.doesNotMatch(rawYaml, /policy\s+set\s+public/);
    const init = service("minio-init");
    assert.equal(init.image, `minio/mc:${env.MINIO_MC_VERSION}`);
    const script = [...(init.entrypoint ?? []), ...(init.command ?? [])].join("\n");
    assert.match(script, /mc mb --ignore-existing/);
    assert.match(script, /mc anonymous set none/);
    assert.equal(init.environment?.LAKE_BUCKETS, env.LAKE_BUCKETS);
    assert.equal(init.depends_on?.minio?.condition, "service_healthy");
    assert.equal(service("minio").image, `minio/minio:${env.MINIO_VERSION}`);
  });

  test("the minio-init script creates each LAKE_BUCKETS bucket and sets it private (stub mc)", () => {
    const init = service("minio-init");
    const [shell, flag] = init.entrypoint ?? [];
    assert.equal(shell, "/bin/sh");
    const dir = mkdtempSync(join(tmpdir(), "compose-mc-"));
    try {
      const calls = join(dir, "calls.log");
      writeFileSync(join(dir, "mc"), `#!/bin/sh\necho "$*" >> "${calls}"\n`, { mode: 0o755 });
      // `config` keeps compose's "$$" escape; compose turns it into "$" when creating the container.
      const script = (init.command ?? []).map((arg) => arg.replaceAll("$$", "$"));
      execFileSync("/bin/sh", [flag, ...script], {
        env: {
          PATH: `${dir}:/usr/bin:/bin`,
          MINIO_ROOT_USER: init.environment?.MINIO_ROOT_USER ?? "",
          MINIO_ROOT_PASSWORD: init.environment?.MINIO_ROOT_PASSWORD ?? "",
          LAKE_BUCKETS: init.environment?.LAKE_BUCKETS ?? "",
        },
        stdio: "pipe",
      });
      const lines = readFileSync(calls, "utf8").trim().split("\n");
      assert.equal(lines[0], `alias set lake http://minio:9000 ${env.MINIO_ROOT_USER} ${env.MINIO_ROOT_PASSWORD}`);
      const buckets = env.LAKE_BUCKETS.split(",");
      assert.deepEqual(
        lines.slice(1),
        buckets.flatMap((b) => [`mb --ignore-existing lake/${b}`, `anonymous set none lake/${b}`]),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("without any env file compose stops with the pt-BR hint", async () => {
    const dir = mkdtempSync(join(tmpdir(), "compose-noenv-"));
    try {
      copyFileSync(join(root, "docker-compose.yml"), join(dir, "docker-compose.yml"));
      const result = await runCompose(dir, ["config", "--quiet"], { compose });
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /required variable \w+ is missing a value: copie \.env\.example para \.env/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("versions shared by the compose images and the native stack", () => {
  test("the Python pins of the images equal stack/python-env/requirements.txt", () => {
    const pins = Object.fromEntries(
      readFileSync(join(root, "stack", "python-env", "requirements.txt"), "utf8")
        .split("\n")
        .map((line) => line.replace(/#.*/, "").trim())
        .filter((line) => line.includes("=="))
        .map((line) => line.split("==") as [string, string]),
    );
    assert.equal(env.JUPYTERLAB_VERSION, pins.jupyterlab);
    assert.equal(env.DBT_CORE_VERSION, pins["dbt-core"]);
    assert.equal(env.DBT_POSTGRES_VERSION, pins["dbt-postgres"]);
  });
});
