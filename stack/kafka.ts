// Kafka (KRaft, one node as broker + controller) and Kafka Connect (distributed) with the
// Debezium PostgreSQL connector, run natively from Maven Central jars on the machine's Java.
// Maven lays the jars out once per version in the cache; this module then only renders the
// config templates of stack/kafka-config/ and returns the java command lines the stack spawns.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../lib/config";
import { copyDependencies } from "./maven";
import { run, type Command, type StackDirs } from "./proc";

/** Connect's plugin folder name, under the plugin.path directory. */
export const DEBEZIUM_PLUGIN = "debezium-connector-postgres";

export interface KafkaInstall {
  /** Every jar of the broker and the Connect worker: the JVM gets `-cp classpathDir/*`. */
  classpathDir: string;
  /** The value of plugin.path: it holds one folder, debezium-connector-postgres/. */
  pluginDir: string;
}

/**
 * Downloads (once per version) the Kafka broker + Connect classpath and the Debezium
 * PostgreSQL plugin into `cacheDir`. Idempotent: a folder whose marker matches the
 * version and pom is reused without running Maven.
 */
export async function installKafka(opts: {
  cacheDir: string;
  kafkaVersion: string;
  debeziumVersion: string;
  repoRoot: string;
  /** Maven local repository; Maven's default (~/.m2/repository) when absent. */
  mavenRepo?: string;
}): Promise<KafkaInstall> {
  const javaDir = join(opts.repoRoot, "stack", "java");
  const classpathDir = join(opts.cacheDir, `kafka-${opts.kafkaVersion}`, "libs");
  const pluginDir = join(opts.cacheDir, `debezium-${opts.debeziumVersion}`, "plugins");
  mkdirSync(join(classpathDir, ".."), { recursive: true });
  mkdirSync(pluginDir, { recursive: true });
  // Sequential: two Maven processes on one local repository can corrupt downloads.
  await copyDependencies({
    pom: join(javaDir, "kafka-runtime", "pom.xml"),
    dir: classpathDir,
    version: `kafka ${opts.kafkaVersion}`,
    properties: { "kafka.version": opts.kafkaVersion },
    mavenRepo: opts.mavenRepo,
  });
  await copyDependencies({
    pom: join(javaDir, "debezium-postgres", "pom.xml"),
    dir: join(pluginDir, DEBEZIUM_PLUGIN),
    version: `debezium ${opts.debeziumVersion}`,
    properties: { "debezium.version": opts.debeziumVersion },
    mavenRepo: opts.mavenRepo,
  });
  return { classpathDir, pluginDir };
}

/** Fills every {{NAME}} of a template; throws naming the placeholders left without a value. */
export function renderTemplate(templatePath: string, vars: Record<string, string>): string {
  const missing = new Set<string>();
  const text = readFileSync(templatePath, "utf8").replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (_, name: string) => {
    const value = vars[name];
    if (value === undefined) {
      missing.add(name);
      return "";
    }
    return value;
  });
  if (missing.size > 0) {
    throw new Error(`Template ${templatePath}: sem valor para ${[...missing].map((n) => `{{${n}}}`).join(", ")}.`);
  }
  return text;
}

/** A KRaft cluster id: 16 random bytes in URL-safe base64, as `kafka-storage random-uuid` prints. */
export function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString("base64url");
    // Kafka never hands out ids starting with '-': they would parse as a command-line option.
    if (!id.startsWith("-")) return id;
  }
}

export interface KafkaLayout {
  /** KRaft log directory (log.dirs): topic data and the metadata log. */
  dataDir: string;
  /** Rendered server.properties, connect-distributed.properties and log4j2 files. */
  configDir: string;
  serverProperties: string;
  connectProperties: string;
  brokerLog4j: string;
  connectLog4j: string;
  toolsLog4j: string;
}

/** Where the stack keeps Kafka's runtime files, under .stack/. */
export function kafkaLayout(dirs: StackDirs): KafkaLayout {
  const configDir = join(dirs.base, "conf", "kafka");
  return {
    dataDir: join(dirs.data, "kafka"),
    configDir,
    serverProperties: join(configDir, "server.properties"),
    connectProperties: join(configDir, "connect-distributed.properties"),
    brokerLog4j: join(configDir, "broker-log4j2.properties"),
    connectLog4j: join(configDir, "connect-log4j2.properties"),
    toolsLog4j: join(configDir, "tools-log4j2.properties"),
  };
}

/** Renders stack/kafka-config/* into the layout's config folder (cheap; done at every start). */
export function writeKafkaConfigs(opts: { cfg: Config; dirs: StackDirs; pluginDir: string }): KafkaLayout {
  const layout = kafkaLayout(opts.dirs);
  mkdirSync(layout.configDir, { recursive: true });
  mkdirSync(layout.dataDir, { recursive: true });
  const { cfg } = opts;
  const vars: Record<string, string> = {
    KAFKA_HOST: cfg.kafka.host,
    KAFKA_PORT: String(cfg.kafka.port),
    KAFKA_CONTROLLER_PORT: String(cfg.kafka.controllerPort),
    CONNECT_HOST: cfg.connect.host,
    CONNECT_PORT: String(cfg.connect.port),
    DATA_DIR: layout.dataDir,
    PLUGIN_PATH: opts.pluginDir,
    LOG_DIR: opts.dirs.logs,
  };
  const templates = join(cfg.root, "stack", "kafka-config");
  const files: Array<[string, string]> = [
    ["server.properties", layout.serverProperties],
    ["connect-distributed.properties", layout.connectProperties],
    ["broker-log4j2.properties", layout.brokerLog4j],
    ["connect-log4j2.properties", layout.connectLog4j],
    ["tools-log4j2.properties", layout.toolsLog4j],
  ];
  for (const [template, target] of files) writeFileSync(target, renderTemplate(join(templates, template), vars));
  return layout;
}

/** True once `kafka-storage format` has run on the data folder. */
export function isFormatted(dataDir: string): boolean {
  return existsSync(join(dataDir, "meta.properties"));
}

/** The JVM: $JAVA_HOME/bin/java when set, else `java` from PATH (Kafka 4 needs Java 17+). */
export function javaBinary(): string {
  const home = process.env.JAVA_HOME;
  return home ? join(home, "bin", "java") : "java";
}

// What kafka-run-class.sh passes to every Kafka JVM, with small heaps for a 2-core machine.
const JVM_FLAGS = [
  "-XX:+UseG1GC",
  "-XX:MaxGCPauseMillis=20",
  "-XX:InitiatingHeapOccupancyPercent=35",
  "-XX:+ExplicitGCInvokesConcurrent",
  "-Djava.awt.headless=true",
];

/**
 * What the worker's EnvVarConfigProvider resolves (${env:NAME} in connector JSON), with the same
 * names docker-compose.yml gives the Connect container, but the host's endpoints.
 */
export function connectEnv(cfg: Config): Record<string, string> {
  // Only what the connector config references: Debezium logs in as the least-privilege
  // replication user (debezium-init/conector-oltp.json), never as the superuser.
  return {
    OLTP_HOST: cfg.oltp.host,
    OLTP_PORT: String(cfg.oltp.port),
    OLTP_DB: cfg.oltp.database,
    CDC_TOPIC_PREFIX: cfg.connect.topicPrefix,
    CDC_USER: cfg.cdc.user,
    CDC_PASSWORD: cfg.cdc.password,
  };
}

export interface KafkaCommands {
  layout: KafkaLayout;
  /** `kafka-storage format --standalone`: run once before the first broker start. */
  formatCommand: Command;
  /** Runs formatCommand unless the data folder is already formatted; true when it ran. */
  format(): Promise<boolean>;
  /** kafka-server-start: broker + controller, spawned detached by the stack. */
  broker: Command;
  /** connect-distributed, spawned detached by the stack. */
  connect: Command;
}

/**
 * Renders the configs for `cfg` and returns the exact java command lines of the broker,
 * the Connect worker and the storage format step (main classes as in Kafka's bin/ scripts).
 */
export function kafkaCommands(opts: {
  cfg: Config;
  dirs: StackDirs;
  classpathDir: string;
  pluginDir: string;
  java?: string;
  /** Used only when the data folder is formatted for the first time. */
  clusterId?: string;
  brokerHeap?: string[];
  connectHeap?: string[];
}): KafkaCommands {
  const layout = writeKafkaConfigs(opts);
  const java = opts.java ?? javaBinary();
  const classpath = ["-cp", join(opts.classpathDir, "*")];
  const log4j = (file: string) => `-Dlog4j2.configurationFile=${file}`;
  const formatCommand: Command = {
    cmd: java,
    args: [
      "-Xmx256m",
      log4j(layout.toolsLog4j),
      ...classpath,
      "kafka.tools.StorageTool",
      "format",
      `--cluster-id=${opts.clusterId ?? randomClusterId()}`,
      `--config=${layout.serverProperties}`,
      "--standalone",
      // Belt and braces with isFormatted(): a second format is a no-op, not an error.
      "--ignore-formatted",
    ],
  };
  return {
    layout,
    formatCommand,
    async format() {
      if (isFormatted(layout.dataDir)) return false;
      await run(formatCommand.cmd, formatCommand.args);
      return true;
    },
    broker: {
      cmd: java,
      args: [
        ...(opts.brokerHeap ?? ["-Xms256m", "-Xmx512m"]),
        ...JVM_FLAGS,
        log4j(layout.brokerLog4j),
        ...classpath,
        "kafka.Kafka",
        layout.serverProperties,
      ],
      cwd: opts.dirs.logs,
    },
    connect: {
      cmd: java,
      args: [
        ...(opts.connectHeap ?? ["-Xms256m", "-Xmx512m"]),
        ...JVM_FLAGS,
        log4j(layout.connectLog4j),
        ...classpath,
        "org.apache.kafka.connect.cli.ConnectDistributed",
        layout.connectProperties,
      ],
      env: connectEnv(opts.cfg),
      cwd: opts.dirs.logs,
    },
  };
}
