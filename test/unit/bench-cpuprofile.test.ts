/**
 * bench/runtime-profile.ts attributes the runtime's CPU to source files through the bundle's
 * source map; a wrong decoder or a wrong attribution would send the pipeline work after the
 * wrong costs, so both are pinned down on hand-made inputs.
 */
import { describe, expect, it } from "vitest";
import { type CpuProfile, categoryOf, mapResolver, mergeSummaries, summarize } from "../../bench/lib/cpuprofile";
import { SourceIndex, decodeVlq } from "../../bench/lib/sourcemap";

describe("source map decoding", () => {
  it("base64 VLQ: signs, continuation digits", () => {
    expect(decodeVlq("AAAA")).toEqual([0, 0, 0, 0]);
    expect(decodeVlq("SCAA")).toEqual([9, 1, 0, 0]);
    expect(decodeVlq("ADAA")).toEqual([0, -1, 0, 0]);
    expect(decodeVlq("gB")).toEqual([16]);
  });

  it("a position maps to the source of the last segment at or before its column; sources accumulate across lines", () => {
    const index = new SourceIndex(["app/src/a.ts", "node_modules/hono/dist/b.js"], "AAAA,SCAA;ADAA");
    expect(index.sourceAt(0, 0)).toBe("app/src/a.ts");
    expect(index.sourceAt(0, 8)).toBe("app/src/a.ts");
    expect(index.sourceAt(0, 9)).toBe("node_modules/hono/dist/b.js");
    expect(index.sourceAt(0, 500)).toBe("node_modules/hono/dist/b.js");
    expect(index.sourceAt(1, 3)).toBe("app/src/a.ts");
    expect(index.sourceAt(7, 0)).toBeNull();
    expect(SourceIndex.fromJson({ sources: ["a.ts"], sourceRoot: "/root", mappings: "AAAA" }).sourceAt(0, 0)).toBe("/root/a.ts");
  });
});

describe("categories", () => {
  it("packages by name, the app by its path under src/ or functions/, drizzle's own mapped sources", () => {
    expect(categoryOf("/x/.wrangler/tmp/dev-1/../../node_modules/hono/dist/hono-base.js")).toBe("hono");
    expect(categoryOf("/x/node_modules/@scope/pkg/index.js")).toBe("@scope/pkg");
    expect(categoryOf("/x/.wrangler/tmp/dev-1/../../src/vouchers/slots.ts")).toBe("src/vouchers/slots.ts");
    expect(categoryOf("/x/functions/api/[[path]].ts")).toBe("functions/api/[[path]].ts");
    expect(categoryOf("/x/node_modules/src/sql/sql.ts")).toBe("drizzle-orm");
    expect(categoryOf("/x/node_modules/wrangler/templates/pages-template-worker.ts")).toBe("wrangler (pages glue)");
  });
});

describe("summarize", () => {
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: { functionName: "(root)", url: "", lineNumber: -1, columnNumber: -1 }, children: [2, 4] },
      { id: 2, callFrame: { functionName: "handler", url: "bundle.js", lineNumber: 0, columnNumber: 2 }, children: [3] },
      { id: 3, callFrame: { functionName: "dispatch", url: "bundle.js", lineNumber: 0, columnNumber: 10 }, children: [5] },
      { id: 4, callFrame: { functionName: "(idle)", url: "", lineNumber: -1, columnNumber: -1 } },
      { id: 5, callFrame: { functionName: "", url: "", lineNumber: -1, columnNumber: -1 } },
    ],
    startTime: 0,
    endTime: 150,
    samples: [2, 3, 5, 4, 3],
    timeDeltas: [0, 10, 20, 30, 40, 50],
  };
  const index = new SourceIndex(["app/src/a.ts", "node_modules/hono/dist/b.js"], "AAAA,SCAA");
  const s = summarize(
    profile,
    mapResolver((url) => (url === "bundle.js" ? index : null)),
  );
  const cat = (name: string) => s.categories.find((b) => b.name === name);

  it("self and inclusive time per category; idle counted in the total only", () => {
    expect(s.totalUs).toBe(150);
    expect(s.busyUs).toBe(110);
    expect(cat("src/a.ts")).toEqual({ name: "src/a.ts", selfUs: 10, inclusiveUs: 110 });
    expect(cat("hono")).toEqual({ name: "hono", selfUs: 70, inclusiveUs: 100 });
    expect(cat("native, called from hono")).toEqual({ name: "native, called from hono", selfUs: 30, inclusiveUs: 30 });
    expect(cat("(idle)")).toBeUndefined();
    expect(s.categories.map((b) => b.name)).toEqual(["hono", "native, called from hono", "src/a.ts"]);
  });

  it("segments of one workload merge by adding their buckets", () => {
    const twice = mergeSummaries(s, s);
    expect(twice.totalUs).toBe(300);
    expect(twice.busyUs).toBe(220);
    expect(twice.categories.find((b) => b.name === "hono")).toEqual({ name: "hono", selfUs: 140, inclusiveUs: 200 });
    expect(twice.functions.map((b) => b.selfUs)).toEqual([140, 60, 20]);
  });

  it("self time per function, with its category", () => {
    expect(s.functions.map((b) => [b.name, b.selfUs])).toEqual([
      ["dispatch (hono)", 70],
      ["(anonymous) (native, called from hono)", 30],
      ["handler (src/a.ts)", 10],
    ]);
  });
});
