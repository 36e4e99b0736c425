// Process helpers for the native stack: run a command to completion, start a service
// detached with its log and pid file, stop it by pid.
import { spawn, spawnSync, type SpawnOptions } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export interface Command {
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
  /** Echo output live (long installs) instead of only keeping it for the error message. */
  stream?: boolean;
  input?: string;
}

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly code: number | null,
    readonly output: string,
  ) {
    super(`Falhou: ${command} (código ${code ?? "sinal"})\n${tail(output, 40)}`);
  }
}

export function tail(text: string, lines: number): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** Runs a command to completion; rejects with its output tail when it exits non-zero. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const spawnOpts: SpawnOptions = {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    };
    if (opts.uid !== undefined) spawnOpts.uid = opts.uid;
    if (opts.gid !== undefined) spawnOpts.gid = opts.gid;
    const child = spawn(cmd, args, spawnOpts);
    let output = "";
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (opts.stream) process.stdout.write(chunk);
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    child.on("error", (err) => reject(new CommandError(`${cmd} ${args.join(" ")}`, null, String(err))));
    child.on("close", (code) => {
      if (code === 0) resolvePromise(output);
      else reject(new CommandError(`${cmd} ${args.join(" ")}`, code, output));
    });
  });
}

export function commandExists(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

/** Where installs are cached, outside the repository, so fresh clones reuse them. */
export function cacheDir(): string {
  const dir = process.env.LIGA_SUDOERS_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "liga-sudoers");
  mkdirSync(dir, { recursive: true });
  return dir;
}

export interface StackDirs {
  base: string;
  data: string;
  logs: string;
  pids: string;
}

/** Runtime state of the native stack: one git-ignored folder in the repository. */
export function stackDirs(root: string): StackDirs {
  const base = join(root, ".stack");
  const dirs = { base, data: join(base, "data"), logs: join(base, "logs"), pids: join(base, "pids") };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  return dirs;
}

export const logFile = (dirs: StackDirs, service: string) => join(dirs.logs, `${service}.log`);
const pidFile = (dirs: StackDirs, service: string) => join(dirs.pids, `${service}.pid`);

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function readPid(dirs: StackDirs, service: string): number | undefined {
  const file = pidFile(dirs, service);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function runningPid(dirs: StackDirs, service: string): number | undefined {
  const pid = readPid(dirs, service);
  return pid !== undefined && isAlive(pid) ? pid : undefined;
}

export function recordPid(dirs: StackDirs, service: string, pid: number): void {
  writeFileSync(pidFile(dirs, service), `${pid}\n`);
}

/** Starts a long-running service in its own process group, output appended to its log. */
export function startDetached(dirs: StackDirs, service: string, command: Command, ids: { uid?: number; gid?: number } = {}): number {
  const log = logFile(dirs, service);
  const fd = openSync(log, "a");
  try {
    const child = spawn(command.cmd, command.args, {
      cwd: command.cwd,
      env: { ...process.env, ...command.env },
      stdio: ["ignore", fd, fd],
      detached: true,
      ...ids,
    });
    if (child.pid === undefined) throw new Error(`Não consegui iniciar ${service}: ${command.cmd}`);
    child.unref();
    recordPid(dirs, service, child.pid);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Stops a service by its recorded pid: SIGTERM to its process group, SIGKILL after a grace period. */
export async function stopByPid(dirs: StackDirs, service: string, graceMs = 20_000): Promise<boolean> {
  const pid = readPid(dirs, service);
  rmSync(pidFile(dirs, service), { force: true });
  if (pid === undefined || !isAlive(pid)) return false;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  signal("SIGTERM");
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(200);
  if (isAlive(pid)) signal("SIGKILL");
  while (isAlive(pid)) await sleep(100);
  return true;
}

/** Polls `probe` until it returns true; rejects with `what` and the log tail after `timeoutMs`. */
export async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number, what: string, log?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await sleep(500);
  }
  const logTail = log && existsSync(log) ? `\nÚltimas linhas de ${log}:\n${tail(readFileSync(log, "utf8"), 25)}` : "";
  throw new Error(`${what} não ficou pronto em ${Math.round(timeoutMs / 1000)} s.${logTail}`);
}
