/**
 * CPU time per process of a server's process group (Linux `/proc`), to see which part of the local
 * stack a request's CPU goes to: wrangler's Node process, workerd's proxy (the public port) or the
 * workerd runtime that runs the Worker and its local D1.
 */
import { readFileSync, readdirSync } from "node:fs";
import os from "node:os";

/** CPU seconds per process id, with the process's label. */
export type CpuSnapshot = Map<number, { label: string; cpu: number }>;

const TICK_S = 0.01; // USER_HZ is 100 on Linux

function label(cmdline: string, port: number): string | null {
  if (cmdline.includes("wrangler-dist/cli.js")) return "wrangler (node)";
  if (cmdline.includes("workerd")) return cmdline.includes(`entry=127.0.0.1:${port}`) ? "workerd proxy" : "workerd runtime";
  return null;
}

/** CPU seconds so far of the processes in group `pgid` (a server started on `port`). */
export function groupCpu(pgid: number, port: number): CpuSnapshot {
  const out: CpuSnapshot = new Map();
  let pids: string[] = [];
  try {
    pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // After "pid (comm) ": state ppid pgrp … utime is field 14 overall, i.e. index 11 here.
      if (Number(fields[2]) !== pgid) continue;
      const name = label(readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " "), port);
      if (!name) continue;
      out.set(Number(pid), { label: name, cpu: (Number(fields[11]) + Number(fields[12])) * TICK_S });
    } catch {
      // process gone
    }
  }
  return out;
}

/**
 * CPU seconds spent between two snapshots, per label. A process that started in between (wrangler
 * restarts workerd when a watched file changes) counts in full; one that ended is lost.
 */
export function cpuDelta(a: CpuSnapshot, b: CpuSnapshot): Map<string, number> {
  const out = new Map<string, number>();
  for (const [pid, v] of b) out.set(v.label, (out.get(v.label) ?? 0) + v.cpu - (a.get(pid)?.cpu ?? 0));
  return out;
}

/** Machine-wide CPU time (all cores, all processes), in ms since boot. */
export interface CpuTimes {
  busy: number;
  total: number;
}

/** Machine-wide CPU time so far. */
export function cpuTimes(): CpuTimes {
  let busy = 0;
  let total = 0;
  for (const c of os.cpus()) {
    const t = c.times;
    const all = t.user + t.nice + t.sys + t.idle + t.irq;
    total += all;
    busy += all - t.idle;
  }
  return { busy, total };
}

/** Share of the machine's CPU that was busy between two readings (client, servers and anything else). */
export const cpuBusy = (a: CpuTimes, b: CpuTimes) => (b.total > a.total ? (b.busy - a.busy) / (b.total - a.total) : 0);
