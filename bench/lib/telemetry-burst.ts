/**
 * The telemetry burst of `npm run bench`: closed-loop clients that post telemetry batches for as
 * long as a booking slice runs, so booking throughput can be measured under the burst and compared
 * with booking alone in the same run.
 *
 * Each request is one batch of `items` page-view items, the way the portal flushes them, sent
 * with a verified session. The route allows a fixed number of requests per minute and caller, so
 * the requests rotate over a pool of callers large enough that none is refused: a refused request
 * is answered from memory without touching D1, which would measure a lighter burst than the one
 * the rule is about. Refusals are counted and reported, not hidden.
 *
 * @module
 */
import type { Identity } from "./setup";

/** What one burst sent and how it was answered. */
export interface BurstStats {
  requests: number;
  ok: number;
  /** 429 answers (the caller pool was too small for the rate reached). */
  limited: number;
  /** Other non-200 answers and network errors. */
  failed: number;
  /** Items the 200 answers reported stored. */
  items: number;
  elapsedMs: number;
}

/** A running burst: `stop()` ends every client's loop after its request in flight and returns the counts. */
export interface Burst {
  stop(): Promise<BurstStats>;
}

/** One batch of `n` telemetry items (page views with a small meta object). */
export function telemetryBatch(n: number, seq: number): string {
  return JSON.stringify(
    Array.from({ length: n }, (_, i) => ({ type: "page.view", path: `/bench/${seq % 97}/${i}`, meta: { seq, i } })),
  );
}

/** Merges the stats of several bursts (one per slice). */
export function addBurst(a: BurstStats, b: BurstStats): BurstStats {
  return {
    requests: a.requests + b.requests,
    ok: a.ok + b.ok,
    limited: a.limited + b.limited,
    failed: a.failed + b.failed,
    items: a.items + b.items,
    elapsedMs: a.elapsedMs + b.elapsedMs,
  };
}

/** Empty stats, the start of {@link addBurst}. */
export const NO_BURST: BurstStats = { requests: 0, ok: 0, limited: 0, failed: 0, items: 0, elapsedMs: 0 };

/**
 * Starts `clients` loops posting batches of `items` to `POST /api/telemetry`, rotating over
 * `callers`. With `control`, the callers' sessions have been ended (logout): each request is the
 * same batch, parsed, validated and authenticated the same way, and refused (401) by the same
 * session check round trip to D1 that a live session passes before its rows join the batch, so
 * nothing is stored. That is the burst to compare with: the telemetry write's own share of a
 * slowdown, told from the CPU the burst's clients, HTTP handling and session checks take on the
 * shared machine. A control's 401 counts as `ok`.
 */
export function startTelemetryBurst(
  base: string,
  callers: readonly Identity[],
  clients: number,
  items: number,
  control = false,
): Burst {
  if (callers.length === 0) throw new Error("telemetry burst: no callers");
  const stats: BurstStats = { ...NO_BURST };
  let running = true;
  let seq = 0;
  const started = performance.now();
  const loop = async () => {
    while (running) {
      const n = seq++;
      const caller = callers[n % callers.length] as Identity;
      stats.requests++;
      try {
        const res = await fetch(`${base}/api/telemetry`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${caller.session}` },
          body: telemetryBatch(items, n),
        });
        const text = await res.text();
        if (control && res.status === 401) stats.ok++;
        else if (!control && res.status === 200) {
          stats.ok++;
          stats.items += (JSON.parse(text) as { stored?: number }).stored ?? 0;
        } else if (res.status === 429) stats.limited++;
        else stats.failed++;
      } catch {
        stats.failed++;
      }
    }
  };
  const loops = Array.from({ length: clients }, loop);
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return { ...stats, elapsedMs: performance.now() - started };
    },
  };
}
