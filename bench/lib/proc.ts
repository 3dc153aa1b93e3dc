/**
 * Child processes of the bench: each server runs in its own process group (npx → wrangler →
 * workerd), so stopping it kills the whole tree and leaves no orphans, also on error or Ctrl-C.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import os from "node:os";
import { createServer } from "node:net";
import { join, resolve } from "node:path";

/** A server started by the bench. */
export interface Server {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** True once the process (the group leader) has exited. */
  exited: () => boolean;
}

const running = new Set<Server>();

/**
 * Environment of every wrangler the bench starts. WRANGLER_LOG_PATH keeps wrangler's debug log
 * (tens of MB per run: one entry per DevTools event, i.e. several per D1 query) in bench/.tmp
 * instead of ~/.config/.wrangler/logs. It changes where the file goes, not what is written.
 *
 * `registry`: a server's own dev-registry directory (WRANGLER_REGISTRY_PATH). Every `wrangler dev`
 * announces its Workers in the registry and resolves bindings to other processes' Workers through
 * it. No bench server binds a Worker of another process, so each gets a registry nobody else
 * writes to: no other server of the bench, and no wrangler elsewhere on the machine, can change
 * what one of them is bound to while it is measured.
 */
function childEnv(registry?: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CI: "1",
    WRANGLER_SEND_METRICS: "false",
    FORCE_COLOR: "0",
    WRANGLER_LOG_PATH: resolve("bench/.tmp/wrangler-logs"),
    ...(registry ? { WRANGLER_REGISTRY_PATH: registry } : {}),
  };
}

/** A fresh dev-registry directory under bench/.tmp (gitignored with it). */
function ownRegistry(): string {
  const parent = resolve("bench/.tmp/registries");
  mkdirSync(parent, { recursive: true });
  return mkdtempSync(join(parent, "r-"));
}

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error("no free port"))));
    });
  });
}

/** Runs a command to completion (setup steps), failing with its output on a non-zero exit. */
export function run(cmd: string, args: string[], opts: { quiet?: boolean } = {}): string {
  try {
    return execFileSync(cmd, args, {
      encoding: "utf8",
      env: childEnv(),
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    if (!opts.quiet) process.stderr.write(`${e.stdout ?? ""}${e.stderr ?? ""}`);
    throw new Error(`${cmd} ${args.join(" ")} failed: ${e.message.split("\n")[0]}`);
  }
}

/** Starts a long-running server in a new process group (in `cwd`, default this one); output goes to `logFile`. */
export function startServer(name: string, cmd: string, args: string[], logFile: string, cwd?: string): Server {
  const fd = openSync(logFile, "w");
  const child = spawn(cmd, args, {
    cwd,
    detached: true,
    stdio: ["ignore", fd, fd],
    env: childEnv(ownRegistry()),
  });
  closeSync(fd);
  let done = false;
  child.on("exit", () => {
    done = true;
  });
  const server: Server = { name, child, logFile, exited: () => done };
  running.add(server);
  return server;
}

/** Last lines of a server's log, for error messages. */
export function logTail(server: Server, lines = 30): string {
  try {
    return readFileSync(server.logFile, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/** Polls `url` until it answers `status` (200); fails if the server exits or `timeoutMs` passes. */
export async function waitForHttp(server: Server, url: string, timeoutMs = 120_000, status = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exited()) throw new Error(`${server.name} exited during startup:\n${logTail(server)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      if (res.status === status) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`${server.name} did not answer ${url} within ${timeoutMs / 1000} s:\n${logTail(server)}`);
}

const groupAlive = (pgid: number) => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Freezes (`SIGSTOP`) or thaws (`SIGCONT`) a server's whole process group: a server measured in
 * some slices only is frozen outside them, so whatever its runtime does while idle takes no CPU
 * from the other workloads on the shared cores.
 */
export function freezeServer(server: Server, frozen: boolean): void {
  const pgid = server.child.pid;
  if (!pgid || !groupAlive(pgid)) return;
  try {
    process.kill(-pgid, frozen ? "SIGSTOP" : "SIGCONT");
  } catch {
    // gone: the next request to it fails and says so
  }
}

/** Stops a server's whole process group: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopServer(server: Server, graceMs = 5_000): Promise<void> {
  running.delete(server);
  const pgid = server.child.pid;
  if (!pgid || !groupAlive(pgid)) return;
  try {
    // A frozen group would hold SIGTERM until thawed.
    process.kill(-pgid, "SIGCONT");
    process.kill(-pgid, "SIGTERM");
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && groupAlive(pgid)) await sleep(100);
  if (groupAlive(pgid)) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** Stops every server still running. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((s) => stopServer(s)));
}

/** Last-resort synchronous cleanup (process `exit` handler): SIGKILL every remaining group. */
export function killAllSync(): void {
  for (const s of running) {
    const pgid = s.child.pid;
    if (!pgid) continue;
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  running.clear();
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Stops every server this process started when it ends: on exit (synchronously), and on
 * SIGINT/SIGTERM/SIGHUP (gracefully, then exit 130). Call once at the top of a bench script.
 */
export function stopServersOnExit(): void {
  let stopping = false;
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(sig, () => {
      if (stopping) return;
      stopping = true;
      console.error(`\n${sig}: stopping servers`);
      void stopAll().finally(() => process.exit(130));
    });
  }
  process.on("exit", killAllSync);
}

/** The installed wrangler's version (for the results' header). */
function wranglerVersion(): string {
  return (JSON.parse(readFileSync("node_modules/wrangler/package.json", "utf8")) as { version: string }).version;
}

/** The machine a bench ran on, for the results' header. */
export interface Machine {
  os: string;
  cpus: string;
  cores: number;
  memGiB: number;
  node: string;
  wrangler: string;
}

/** Describes this machine (OS, CPU model and count, memory, Node and wrangler versions). */
export function machineInfo(): Machine {
  return {
    os: `${os.type()} ${os.release()} (${os.platform()}/${os.arch()})`,
    cpus: os.cpus()[0]?.model.trim() ?? "unknown CPU",
    cores: os.cpus().length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    wrangler: wranglerVersion(),
  };
}
