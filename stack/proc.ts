// Process helpers for the native stack: run a command to completion (the one child-process
// wrapper of stack/), start a service detached with its log and pid file, stop it by pid.
import { spawn, spawnSync, type SpawnOptions } from "node:child_process";
import { createHash } from "node:crypto";
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
  /** Merged over process.env, unless replaceEnv is set. */
  env?: NodeJS.ProcessEnv;
  /** Use env as the whole environment (e.g. to keep the caller's variables out). */
  replaceEnv?: boolean;
  uid?: number;
  gid?: number;
  /** Echo output live (long installs) instead of only keeping it for the error message. */
  stream?: boolean;
  input?: string;
  /** SIGTERM the command after this long; 0 or absent: no limit. */
  timeoutMs?: number;
}

export interface CaptureResult {
  /** Exit code; null when the command was killed by a signal or could not start. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as they arrived. */
  output: string;
  /** Set when the program could not be started at all (e.g. ENOENT). */
  spawnError?: NodeJS.ErrnoException;
  timedOut: boolean;
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

/** 12 hex digits of SHA-256 over the parts (NUL-separated): stable names for cache folders. */
export function shortHash(...parts: string[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p).update("\0");
  return h.digest("hex").slice(0, 12);
}

/** Runs a command to completion and returns what it printed; never rejects (check code/spawnError). */
export function capture(cmd: string, args: string[], opts: RunOptions = {}): Promise<CaptureResult> {
  return new Promise((resolvePromise) => {
    const spawnOpts: SpawnOptions = {
      cwd: opts.cwd,
      env: opts.replaceEnv ? { ...opts.env } : { ...process.env, ...opts.env },
      stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    };
    if (opts.uid !== undefined) spawnOpts.uid = opts.uid;
    if (opts.gid !== undefined) spawnOpts.gid = opts.gid;
    const child = spawn(cmd, args, spawnOpts);
    // Buffers, decoded once at the end, so a multi-byte character split across chunks survives.
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const all: Buffer[] = [];
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      into.push(chunk);
      all.push(chunk);
      if (opts.stream) process.stdout.write(chunk);
    };
    child.stdout?.on("data", collect(out));
    child.stderr?.on("data", collect(err));
    if (opts.input !== undefined) {
      child.stdin?.on("error", () => {}); // EPIPE when the command exits without reading: its code tells.
      child.stdin?.end(opts.input);
    }
    let timedOut = false;
    const timer =
      opts.timeoutMs && opts.timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            child.kill("SIGTERM");
          }, opts.timeoutMs)
        : undefined;
    let spawnError: NodeJS.ErrnoException | undefined;
    const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString("utf8");
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout: text(out), stderr: text(err), output: text(all), spawnError, timedOut });
    };
    child.on("error", (e) => {
      // A failed spawn emits no "close"; other errors (e.g. a failed kill) are followed by one.
      if (child.pid !== undefined) return;
      spawnError = e;
      finish(null, null);
    });
    child.on("close", finish);
  });
}

/** What a failed command printed, or why it could not start: for error messages. */
export function failureText(result: CaptureResult): string {
  return result.spawnError ? String(result.spawnError) : result.output;
}

/** Runs a command to completion; resolves its output, rejects with its output tail when it exits non-zero. */
export async function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  const result = await capture(cmd, args, opts);
  const command = `${cmd} ${args.join(" ")}`;
  if (result.spawnError) throw new CommandError(command, null, failureText(result));
  if (result.timedOut) {
    const note = `(interrompido após ${Math.ceil(opts.timeoutMs! / 1000)} s)`;
    throw new CommandError(command, result.code, [result.output.trimEnd(), note].filter(Boolean).join("\n"));
  }
  if (result.code !== 0) throw new CommandError(command, result.code, result.output);
  return result.output;
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
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  // A child that exited but was not reaped yet (its parent is busy) still answers signal 0.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true;
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
