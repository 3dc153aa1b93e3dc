/**
 * Closed-loop load generator: `concurrency` clients, each an async loop that sends one request,
 * reads the whole response and sends the next (Node's fetch, keep-alive connections). A warm-up
 * phase runs first and is discarded; then every request *started* inside the measurement window
 * counts, and throughput is counted requests / (end of the last one − start of the window).
 */

/** One request of a workload: `null` when the workload has nothing left to send (pool exhausted). */
export type RequestFactory = (client: number, seq: number) => { url: string; init?: RequestInit } | null;

/** Options of one workload run. */
export interface LoadOptions {
  name: string;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  next: RequestFactory;
  /** Optional check of a measured 200 response body; a false result counts as a failure. */
  check?: (body: string) => boolean;
}

/** Measured results of one workload. */
export interface LoadResult {
  name: string;
  concurrency: number;
  requests: number;
  ok: number;
  /** Non-200 statuses (and failed checks / network errors) by kind, measured window only. */
  failures: Record<string, number>;
  warmupRequests: number;
  elapsedMs: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  /** Mean response body size, bytes. */
  bytes: number;
  /** Client (this Node process) CPU time per measured request, ms. */
  clientCpuMsPerReq: number;
  /** True if the workload ran out of requests before the window closed. */
  exhausted: boolean;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

/** Raw measurements of one window, merged across rounds by {@link summarize}. */
export interface RawRun {
  name: string;
  concurrency: number;
  latencies: number[];
  ok: number;
  failures: Record<string, number>;
  warmupRequests: number;
  elapsedMs: number;
  bytes: number;
  cpuMs: number;
  exhausted: boolean;
}

/**
 * How wrangler's dev proxy answers a POST whose fetch to the runtime failed with a network error
 * (its text says "restarted" for any such error on a path other than `/`).
 */
const PROXY_LOST = "Your worker restarted mid-request";

/** Runs one workload: warm-up, then the measurement window. */
export async function runLoad(o: LoadOptions): Promise<RawRun> {
  const t0 = performance.now();
  const windowStart = t0 + o.warmupMs;
  const windowEnd = windowStart + o.durationMs;
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  let ok = 0;
  let bytes = 0;
  let warmupRequests = 0;
  let lastEnd = windowStart;
  let exhausted = false;
  let seq = 0;
  let cpuAtWindow: NodeJS.CpuUsage | null = null;
  const fail = (kind: string) => {
    failures[kind] = (failures[kind] ?? 0) + 1;
  };

  async function client(id: number): Promise<void> {
    for (;;) {
      const started = performance.now();
      if (started >= windowEnd) return;
      const req = o.next(id, seq++);
      if (!req) {
        exhausted = true;
        return;
      }
      const measured = started >= windowStart;
      if (measured && !cpuAtWindow) cpuAtWindow = process.cpuUsage();
      let status = 0;
      let text = "";
      try {
        const res = await fetch(req.url, req.init);
        text = await res.text();
        status = res.status;
      } catch (err) {
        if (measured) fail(`network: ${(err as Error).message}`);
        else warmupRequests++;
        continue;
      }
      const ended = performance.now();
      if (!measured) {
        warmupRequests++;
        // Lost on its way to the runtime (docs/benchmarks.md): tolerated in the warm-up like the
        // network errors above, said on the console; inside the window it counts as a failure.
        if (status === 503 && text.startsWith(PROXY_LOST)) {
          console.log(`  (${o.name}: a warm-up request was lost between wrangler's dev proxy and the runtime)`);
          continue;
        }
        if (status !== 200) throw new Error(`${o.name}: warm-up request failed with ${status}: ${text.slice(0, 300)}`);
        continue;
      }
      latencies.push(ended - started);
      lastEnd = Math.max(lastEnd, ended);
      bytes += text.length;
      if (status !== 200) fail(`HTTP ${status} ${codeOf(text)}`);
      else if (o.check && !o.check(text)) fail("200 with unexpected body");
      else ok++;
    }
  }

  await Promise.all(Array.from({ length: o.concurrency }, (_, i) => client(i)));
  const cpu = cpuAtWindow ? process.cpuUsage(cpuAtWindow) : { user: 0, system: 0 };
  return {
    name: o.name,
    concurrency: o.concurrency,
    latencies,
    ok,
    failures,
    warmupRequests,
    elapsedMs: Math.max(1, lastEnd - windowStart),
    bytes,
    cpuMs: (cpu.user + cpu.system) / 1000,
    exhausted,
  };
}

/** Merges the rounds of one workload: throughput = all requests / all measured time. */
export function summarize(runs: readonly RawRun[]): LoadResult {
  const first = runs[0];
  if (!first) throw new Error("summarize: no runs");
  const sorted = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const n = sorted.length;
  const failures: Record<string, number> = {};
  for (const r of runs) for (const [k, v] of Object.entries(r.failures)) failures[k] = (failures[k] ?? 0) + v;
  const sum = (f: (r: RawRun) => number) => runs.reduce((a, r) => a + f(r), 0);
  const elapsedMs = sum((r) => r.elapsedMs);
  return {
    name: first.name,
    concurrency: first.concurrency,
    requests: n,
    ok: sum((r) => r.ok),
    failures,
    warmupRequests: sum((r) => r.warmupRequests),
    elapsedMs,
    rps: (n / elapsedMs) * 1000,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[n - 1] ?? Number.NaN,
    mean: n ? sorted.reduce((a, b) => a + b, 0) / n : Number.NaN,
    bytes: n ? sum((r) => r.bytes) / n : 0,
    clientCpuMsPerReq: n ? sum((r) => r.cpuMs) / n : 0,
    exhausted: runs.some((r) => r.exhausted),
  };
}

function codeOf(text: string): string {
  try {
    const body = JSON.parse(text) as { code?: unknown };
    return typeof body.code === "string" ? body.code : "";
  } catch {
    return "";
  }
}
