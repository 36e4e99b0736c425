// The docker compose route, checked on machines without a Docker engine: builds the Compose v2
// CLI from its Go module (pinned) and runs `config` to validate docker-compose.yml for real.
import { existsSync } from "node:fs";
import { chmod, cp, mkdir, mkdtemp, readdir, readlink, rename, rm, symlink } from "node:fs/promises";
import { homedir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { capture, cacheDir as defaultCacheDir, failureText, type CaptureResult } from "./proc";

export const COMPOSE_MODULE = "github.com/docker/compose/v2";
/** Newest v2.x the Go module proxy serves; `docker compose version` reports it. */
export const COMPOSE_VERSION = "v2.40.3";

/** Standalone CLI built by installCompose. */
export function composeBinary(cacheDir: string): string {
  return join(cacheDir, "bin", "docker-compose");
}

/** A DOCKER_CONFIG folder whose cli-plugins/ holds the compose plugin (nothing global changes). */
export function dockerConfigDir(cacheDir: string): string {
  return join(cacheDir, "docker");
}

function findGo(): string {
  const candidates = (process.env.PATH ?? "")
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, "go"));
  candidates.push("/usr/local/go/bin/go");
  const found = candidates.find((file) => existsSync(file));
  if (!found) {
    throw new Error("Go não encontrado: o Docker Compose é compilado a partir do módulo Go. Instale o Go (>= 1.24) ou coloque-o no PATH.");
  }
  return found;
}

async function installedVersion(binary: string): Promise<string | undefined> {
  if (!existsSync(binary)) return undefined;
  const result = await capture(binary, ["version", "--short"], { env: minimalEnv(), replaceEnv: true });
  return result.code === 0 ? result.stdout.trim() : undefined;
}

async function ensurePlugin(cacheDir: string, binary: string): Promise<void> {
  const pluginDir = join(dockerConfigDir(cacheDir), "cli-plugins");
  const plugin = join(pluginDir, "docker-compose");
  await mkdir(pluginDir, { recursive: true });
  const current = await readlink(plugin).catch(() => undefined);
  if (current === binary) return;
  // Replace atomically so a concurrent `docker compose` never sees a missing plugin.
  const temp = `${plugin}.tmp-${process.pid}`;
  await rm(temp, { force: true });
  await symlink(binary, temp);
  await rename(temp, plugin);
}

/** The module cache is read-only; without this a non-root user could not delete the copy. */
async function makeWritable(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    await chmod(path, entry.isDirectory() ? 0o755 : 0o644);
  }
}

/**
 * Builds the pinned Docker Compose CLI into <cacheDir>/bin/docker-compose (idempotent) and links
 * it as a docker CLI plugin under <cacheDir>/docker (use DOCKER_CONFIG=<that> docker compose ...).
 * Returns the CLI path. Cold build: about 3 minutes on 2 cores, mostly module downloads.
 */
export async function installCompose(opts: { cacheDir: string; log?: (message: string) => void }): Promise<string> {
  const cacheDir = resolve(opts.cacheDir);
  const binary = composeBinary(cacheDir);
  const wanted = COMPOSE_VERSION.replace(/^v/, "");
  if ((await installedVersion(binary)) === wanted) {
    await ensurePlugin(cacheDir, binary);
    return binary;
  }

  const log = opts.log ?? (() => {});
  const go = findGo();
  log(`Compilando Docker Compose ${COMPOSE_VERSION} com ${go} (a primeira vez leva alguns minutos)...`);
  const download = await capture(go, ["mod", "download", "-json", `${COMPOSE_MODULE}@${COMPOSE_VERSION}`]);
  if (download.code !== 0) {
    throw new Error(`Falha ao baixar ${COMPOSE_MODULE}@${COMPOSE_VERSION}:\n${failureText(download)}`);
  }
  const moduleDir = (JSON.parse(download.stdout) as { Dir?: string }).Dir;
  if (!moduleDir) throw new Error(`go mod download não informou a pasta de ${COMPOSE_MODULE}.`);

  // compose's go.mod has exclude directives, so `go install module@version` refuses it:
  // build a writable copy of the module as the main module instead.
  await mkdir(join(cacheDir, "build"), { recursive: true });
  await mkdir(join(cacheDir, "bin"), { recursive: true });
  const srcDir = await mkdtemp(join(cacheDir, "build", "compose-"));
  const tempBinary = `${binary}.tmp-${process.pid}`;
  try {
    await cp(moduleDir, srcDir, { recursive: true });
    await makeWritable(srcDir);
    const ldflags = `-s -w -X ${COMPOSE_MODULE}/internal.Version=${COMPOSE_VERSION}`;
    const build = await capture(
      go,
      ["build", "-trimpath", "-buildvcs=false", "-tags", "e2e", "-ldflags", ldflags, "-o", tempBinary, "./cmd"],
      { cwd: srcDir, env: { CGO_ENABLED: "0", GOFLAGS: "-mod=readonly", GOWORK: "off" } },
    );
    if (build.code !== 0) {
      throw new Error(`Falha ao compilar Docker Compose ${COMPOSE_VERSION}:\n${failureText(build)}`);
    }
    await rename(tempBinary, binary);
  } finally {
    await rm(tempBinary, { force: true });
    await rm(srcDir, { recursive: true, force: true });
  }
  const version = await installedVersion(binary);
  if (version !== wanted) throw new Error(`O Docker Compose compilado informa a versão ${version}, esperado ${wanted}.`);
  await ensurePlugin(cacheDir, binary);
  log(`Docker Compose ${COMPOSE_VERSION} instalado em ${binary}.`);
  return binary;
}

/** Only what the CLI needs: no variable from the caller's shell leaks into interpolation. */
function minimalEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? homedir() };
  return { ...env, ...extra };
}

/**
 * Runs the compose CLI on <projectDir>/docker-compose.yml. envFile undefined: compose's own
 * default (<projectDir>/.env if present), as a student's `docker compose` would.
 */
export async function runCompose(
  projectDir: string,
  args: string[],
  opts: { envFile?: string; compose?: string; cacheDir?: string } = {},
): Promise<CaptureResult> {
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const compose = opts.compose ?? (await installCompose({ cacheDir }));
  const root = resolve(projectDir);
  const base = ["--project-directory", root, "-f", join(root, "docker-compose.yml")];
  if (opts.envFile !== undefined) base.push("--env-file", resolve(opts.envFile));
  const result = await capture(compose, [...base, ...args], {
    cwd: root,
    env: minimalEnv({ DOCKER_CONFIG: dockerConfigDir(cacheDir) }),
    replaceEnv: true,
  });
  if (result.spawnError) throw result.spawnError;
  return result;
}

/** The fully interpolated compose model (`config --format json`) for repoRoot with envFile. */
export async function composeConfig(
  repoRoot: string,
  envFile: string,
  opts: { compose?: string; cacheDir?: string } = {},
): Promise<Record<string, unknown>> {
  const result = await runCompose(repoRoot, ["config", "--format", "json"], { ...opts, envFile });
  if (result.code !== 0) {
    throw new Error(`docker compose config falhou (código ${result.code}):\n${result.stderr.trim()}`);
  }
  return JSON.parse(result.stdout) as Record<string, unknown>;
}
