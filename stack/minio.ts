// MinIO for the native stack: built from source with the Go toolchain (modules come from the Go
// module proxy), run as a single-drive server, and given the lake's private buckets.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import * as Minio from "minio";
import { capture, failureText, tail } from "./proc";

const MODULE = "github.com/minio/minio";
/** Go 1.24 is what MinIO's go.mod asks for at the pinned release. */
const MIN_GO = [1, 24] as const;

/**
 * MinIO's RELEASE.* tags are not semver, and the Go module proxy refuses to resolve them
 * (nor bare commit hashes): a release is reachable only through the pseudo-version of the
 * commit its tag points at. Add a row here to pin another release.
 */
const RELEASES: Record<string, { moduleVersion: string; commit: string }> = {
  "RELEASE.2025-09-07T16-13-09Z": {
    moduleVersion: "v0.0.0-20250907161309-07c3a429bfed",
    commit: "07c3a429bfed433e49018cb0f78a52145d4bedeb",
  },
};

const PSEUDO_OR_SEMVER = /^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
const RELEASE_TAG = /^RELEASE\.(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})Z$/;

interface BuildPlan {
  moduleVersion: string;
  ldflags: string;
}

/** Maps the .env version (a RELEASE tag, or a Go module version) to what `go install` gets. */
function buildPlan(version: string): BuildPlan {
  const strip = "-s -w";
  if (PSEUDO_OR_SEMVER.test(version)) return { moduleVersion: version, ldflags: strip };
  const release = RELEASES[version];
  const tag = RELEASE_TAG.exec(version);
  if (!release || !tag) {
    throw new Error(
      `Versão do MinIO desconhecida: ${version}. O proxy de módulos Go não resolve tags RELEASE.*; ` +
        `use uma das conhecidas (${Object.keys(RELEASES).join(", ")}) ou a pseudo-versão Go ` +
        `(v0.0.0-AAAAMMDDhhmmss-<commit12>) do commit da tag em MINIO_VERSION.`,
    );
  }
  const [, y, mo, d, h, mi, s] = tag;
  // Same metadata the upstream Makefile stamps, so `minio --version` and the server banner
  // name the release instead of "DEVELOPMENT.GOGET".
  const x = (name: string, value: string) => `-X ${MODULE}/cmd.${name}=${value}`;
  const ldflags = [
    strip,
    x("Version", `${y}-${mo}-${d}T${h}:${mi}:${s}Z`),
    x("CopyrightYear", y!),
    x("ReleaseTag", version),
    x("CommitID", release.commit),
    x("ShortCommitID", release.commit.slice(0, 12)),
  ].join(" ");
  return { moduleVersion: release.moduleVersion, ldflags };
}

async function checkGo(): Promise<void> {
  const res = await capture("go", ["env", "GOVERSION"]);
  if (res.spawnError?.code === "ENOENT") {
    throw new Error(
      `O Go não foi encontrado no PATH. O MinIO do stack nativo é compilado a partir do código-fonte: ` +
        `instale o Go ${MIN_GO.join(".")} ou mais novo e rode de novo.`,
    );
  }
  if (res.code !== 0) throw new Error(`Não consegui executar 'go env GOVERSION':\n${tail(failureText(res), 20)}`);
  const found = /^go(\d+)\.(\d+)/.exec(res.output.trim());
  if (!found) return; // a devel toolchain: let the build decide
  const [major, minor] = [Number(found[1]), Number(found[2])];
  if (major < MIN_GO[0] || (major === MIN_GO[0] && minor < MIN_GO[1])) {
    throw new Error(`O MinIO precisa do Go ${MIN_GO.join(".")} ou mais novo; este é o ${res.output.trim()}.`);
  }
}

/** Drops build folders left by a killed install (a live build is far younger than an hour). */
function removeStaleStaging(binDir: string): void {
  const cutoff = Date.now() - 60 * 60 * 1000;
  for (const name of readdirSync(binDir)) {
    if (!/^\.minio-.*\.build-/.test(name)) continue;
    const path = join(binDir, name);
    try {
      if (statSync(path).mtimeMs < cutoff) rmSync(path, { recursive: true, force: true });
    } catch {
      // Gone already (a concurrent install cleaned it).
    }
  }
}

/**
 * Builds MinIO `version` once into <cacheDir>/bin/minio-<version> and returns that path.
 * Idempotent: an existing binary is returned at once. The build lands in a temporary folder
 * and is renamed into place only after it runs, so an interrupted build leaves no binary.
 * Go's module and build caches stay where Go keeps them by default.
 */
export async function installMinio(opts: { cacheDir: string; version: string }): Promise<string> {
  if (!/^[A-Za-z0-9._-]+$/.test(opts.version)) {
    throw new Error(`MINIO_VERSION inválida: '${opts.version}'.`);
  }
  const binDir = join(opts.cacheDir, "bin");
  const binary = join(binDir, `minio-${opts.version}`);
  if (existsSync(binary)) return binary;

  const plan = buildPlan(opts.version);
  await checkGo();
  mkdirSync(binDir, { recursive: true });
  removeStaleStaging(binDir);
  const staging = mkdtempSync(join(binDir, `.minio-${opts.version}.build-`));
  try {
    console.log(
      `Compilando o MinIO ${opts.version} (${MODULE}@${plan.moduleVersion}) com o Go; ` +
        `na primeira vez leva alguns minutos (download dos módulos + compilação)…`,
    );
    const started = Date.now();
    const args = ["install", "-trimpath", "-tags", "kqueue", "-ldflags", plan.ldflags, `${MODULE}@${plan.moduleVersion}`];
    // CGO off as upstream builds it: a static binary, no C toolchain needed.
    const res = await capture("go", args, { env: { GOBIN: staging, CGO_ENABLED: "0" } });
    const built = join(staging, "minio");
    if (res.code !== 0 || !existsSync(built)) {
      throw new Error(
        `Falhou a compilação do MinIO ${opts.version} (go ${args.map((a) => (a.includes(" ") ? `'${a}'` : a)).join(" ")}).\n` +
          `Últimas linhas da saída:\n${tail(failureText(res), 30)}`,
      );
    }
    const check = await capture(built, ["--version"]);
    if (check.code !== 0) {
      throw new Error(`O binário do MinIO compilado não executa:\n${tail(failureText(check), 20)}`);
    }
    chmodSync(built, 0o755);
    renameSync(built, binary);
    console.log(`MinIO ${opts.version} pronto em ${Math.round((Date.now() - started) / 1000)} s: ${binary}`);
    return binary;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** The command that runs a single-drive MinIO server; the caller spawns it and keeps its log/pid. */
export function minioCommand(opts: {
  binary: string;
  dataDir: string;
  host: string;
  port: number;
  consolePort: number;
  rootUser: string;
  rootPassword: string;
}): { cmd: string; args: string[]; env: Record<string, string> } {
  return {
    cmd: opts.binary,
    args: ["server", opts.dataDir, "--address", `${opts.host}:${opts.port}`, "--console-address", `${opts.host}:${opts.consolePort}`],
    env: {
      MINIO_ROOT_USER: opts.rootUser,
      MINIO_ROOT_PASSWORD: opts.rootPassword,
      MINIO_BROWSER: "on",
      // No internet here: skip the startup update check against MinIO's download site.
      MINIO_UPDATE: "off",
    },
  };
}

/** True when the server answers its readiness probe (200 on /minio/health/ready). */
export function minioReady(opts: { host: string; port: number; timeoutMs?: number }): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(
      { host: opts.host, port: opts.port, path: "/minio/health/ready", timeout: opts.timeoutMs ?? 2000, agent: false },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
  });
}

/**
 * Creates the buckets that are missing and returns their names. Buckets stay private:
 * no bucket policy is ever set, so anonymous requests get 403.
 */
export async function ensureBuckets(opts: {
  host: string;
  port: number;
  accessKey: string;
  secretKey: string;
  buckets: string[];
  useSSL?: boolean;
}): Promise<string[]> {
  const client = new Minio.Client({
    endPoint: opts.host,
    port: opts.port,
    useSSL: opts.useSSL ?? false,
    accessKey: opts.accessKey,
    secretKey: opts.secretKey,
    // MinIO closes the connection after some error replies without saying so; fresh
    // sockets keep a reused one from failing with ECONNRESET.
    transportAgent: new http.Agent({ keepAlive: false }),
  });
  const created: string[] = [];
  for (const bucket of opts.buckets) {
    if (await client.bucketExists(bucket)) continue;
    try {
      await client.makeBucket(bucket);
      created.push(bucket);
    } catch (err) {
      // Another `stack up` created it in between: fine.
      const code = (err as { code?: string }).code;
      if (code !== "BucketAlreadyOwnedByYou" && code !== "BucketAlreadyExists") throw err;
    }
  }
  return created;
}
