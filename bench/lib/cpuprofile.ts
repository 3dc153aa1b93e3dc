/**
 * Aggregation of a V8 CPU profile (DevTools `Profiler.stop`) taken from the Worker runtime: where
 * the runtime's time goes, per source file and package (mapped back through the bundle's source
 * map), per V8 builtin, and for GC and native work outside JavaScript.
 *
 * @module
 */
import type { SourceIndex } from "./sourcemap";

/** The parts of a DevTools CPU profile this reads. */
export interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
    children?: number[];
  }>;
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Time of one bucket, µs: spent in it (self) and with it anywhere on the stack (inclusive). */
export interface Bucket {
  name: string;
  selfUs: number;
  inclusiveUs: number;
}

/** The aggregated profile. */
export interface ProfileSummary {
  /** Sampled time, µs (idle included). */
  totalUs: number;
  /** Sampled time not idle, µs. */
  busyUs: number;
  /** By category: a source file of the app, a package, a builtin, GC, native. */
  categories: Bucket[];
  /** By function (`name (category)`), self time. */
  functions: Bucket[];
  /** One source path (or profile URL) per category, to show what a category was mapped from. */
  examples: Map<string, string>;
}

/** Resolves a profile URL + position to a source path (through the bundle's source map), or null. */
export type Resolver = (url: string, line: number, column: number) => string | null;

/** A resolver over source maps loaded per URL (`load` returns null when a URL has no map). */
export function mapResolver(load: (url: string) => SourceIndex | null): Resolver {
  const cache = new Map<string, SourceIndex | null>();
  return (url, line, column) => {
    if (!cache.has(url)) cache.set(url, load(url));
    return cache.get(url)?.sourceAt(line, column) ?? null;
  };
}

/**
 * The category of a source path: `hono`, `zod`, `drizzle-orm`… for packages; the file under
 * `src/`, `functions/` for the app; `wrangler (pages glue)` for the code wrangler wraps around
 * the functions.
 */
export function categoryOf(source: string): string {
  // drizzle-orm ships source maps pointing at its TypeScript (`../src/…`), which esbuild resolves
  // one level too high: `node_modules/src/…`. No other dependency of the app does that.
  if (/node_modules\/src\//.test(source)) return "drizzle-orm";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(source);
  if (pkg?.[1]) return pkg[1] === "wrangler" ? "wrangler (pages glue)" : pkg[1];
  const app = /(?:^|\/)((?:src|functions)\/.+)$/.exec(source);
  if (app?.[1]) return app[1];
  if (/wrangler|\.wrangler\/tmp|middleware|pages-template/.test(source)) return "wrangler (pages glue)";
  return source.split("/").slice(-2).join("/");
}

const SPECIAL: Record<string, string> = {
  "(idle)": "(idle)",
  "(program)": "(native: runtime outside JS)",
  "(garbage collector)": "(garbage collector)",
  "(root)": "(root)",
};

/** Aggregates `profile`; `resolve` maps bundle positions to sources. */
export function summarize(profile: CpuProfile, resolve: Resolver): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const catOf = new Map<number, string>();
  const examples = new Map<string, string>();
  const nodeCategory = (id: number): string => {
    const known = catOf.get(id);
    if (known !== undefined) return known;
    const f = byId.get(id)?.callFrame;
    let cat = "(unknown)";
    if (f) {
      const special = SPECIAL[f.functionName];
      const up = parent.get(id);
      if (special) cat = special;
      else if (!f.url && f.functionName) cat = `builtin ${f.functionName}`;
      else if (!f.url) {
        // A nameless native frame (console.log's implementation, a bound builtin) is only
        // meaningful through whoever called it.
        cat = `native, called from ${up === undefined ? "(root)" : nodeCategory(up).replace(/^native, called from /, "")}`;
      } else {
        const source = resolve(f.url, f.lineNumber, f.columnNumber);
        cat = source ? categoryOf(source) : categoryOf(f.url);
        if (!examples.has(cat)) examples.set(cat, source ?? f.url);
      }
    }
    catOf.set(id, cat);
    return cat;
  };
  // Distinct categories on the path root → node, memoized per node.
  const pathCats = new Map<number, string[]>();
  const categoriesOnPath = (id: number): string[] => {
    const known = pathCats.get(id);
    if (known) return known;
    const up = parent.get(id);
    const above = up === undefined ? [] : categoriesOnPath(up);
    const own = nodeCategory(id);
    const cats = above.includes(own) ? above : [...above, own];
    pathCats.set(id, cats);
    return cats;
  };

  const cats = new Map<string, Bucket>();
  const fns = new Map<string, Bucket>();
  const bucket = (m: Map<string, Bucket>, name: string) => {
    let b = m.get(name);
    if (!b) {
      b = { name, selfUs: 0, inclusiveUs: 0 };
      m.set(name, b);
    }
    return b;
  };
  let totalUs = 0;
  let idleUs = 0;
  // timeDeltas[i] is the time since the previous sample; the interval up to the next sample
  // (timeDeltas[i + 1]) is what sample i stands for.
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] ?? 0;
    const dt = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0;
    totalUs += dt;
    const own = nodeCategory(id);
    if (own === "(idle)") {
      idleUs += dt;
      continue;
    }
    bucket(cats, own).selfUs += dt;
    for (const c of categoriesOnPath(id)) bucket(cats, c).inclusiveUs += dt;
    const f = byId.get(id)?.callFrame;
    bucket(fns, `${f?.functionName || "(anonymous)"} (${own})`).selfUs += dt;
  }
  const bySelf = (a: Bucket, b: Bucket) => b.selfUs - a.selfUs;
  return {
    totalUs,
    busyUs: totalUs - idleUs,
    categories: [...cats.values()].filter((b) => b.name !== "(root)").sort(bySelf),
    functions: [...fns.values()].sort(bySelf),
    examples,
  };
}

/** Two summaries of the same workload (consecutive profiled segments) as one. */
export function mergeSummaries(a: ProfileSummary, b: ProfileSummary): ProfileSummary {
  const merge = (x: Bucket[], y: Bucket[]) => {
    const m = new Map<string, Bucket>(x.map((k) => [k.name, { ...k }]));
    for (const k of y) {
      const have = m.get(k.name);
      if (have) {
        have.selfUs += k.selfUs;
        have.inclusiveUs += k.inclusiveUs;
      } else m.set(k.name, { ...k });
    }
    return [...m.values()].sort((p, q) => q.selfUs - p.selfUs);
  };
  return {
    totalUs: a.totalUs + b.totalUs,
    busyUs: a.busyUs + b.busyUs,
    categories: merge(a.categories, b.categories),
    functions: merge(a.functions, b.functions),
    examples: new Map([...b.examples, ...a.examples]),
  };
}
