/**
 * The telemetry buffer's policy: the first row into an empty buffer schedules a flush, a row or
 * byte cap flushes at once, `take` hands over everything in order and empties the buffer, and the
 * byte count is the UTF-8 size of the serialised rows. test/api/telemetry.test.ts runs the flush
 * itself against D1.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_CAPS, TelemetryBuffer, type TelemetryRow, encodeRow, encodeRows } from "../../src/telemetry/buffer";

const row = (type: string, extra: Partial<TelemetryRow> = {}): TelemetryRow => ({
  type,
  path: null,
  callerKey: "ip:0123456789abcdef0123456789abcdef",
  meta: "{}",
  createdAt: 1_700_000_000_000,
  thinkerId: null,
  ...extra,
});
const rowsOf = (n: number, prefix = "r") => Array.from({ length: n }, (_, i) => row(`${prefix}${i}`));
const utf8Length = (s: string) => new TextEncoder().encode(s).length;

describe("TelemetryBuffer", () => {
  it("the first rows into an empty buffer schedule a flush; more rows below the caps wait for it", () => {
    const b = new TelemetryBuffer();
    expect(b.add([row("a")])).toBe("schedule");
    expect(b.add([row("b"), row("c")])).toBe("wait");
    expect(b.size).toBe(3);
    b.take();
    expect(b.add([row("d")])).toBe("schedule");
  });

  it("adding nothing neither schedules nor flushes", () => {
    const b = new TelemetryBuffer();
    expect(b.add([])).toBe("wait");
    expect(b.size).toBe(0);
  });

  it("reaching the row cap flushes at once, also in the very first add", () => {
    const b = new TelemetryBuffer({ maxRows: 5, maxBytes: 1_000_000 });
    expect(b.add(rowsOf(4))).toBe("schedule");
    expect(b.add(rowsOf(1, "x"))).toBe("flush");
    expect(b.take().count).toBe(5);
    expect(new TelemetryBuffer({ maxRows: 5, maxBytes: 1_000_000 }).add(rowsOf(7))).toBe("flush");
  });

  it("reaching the byte cap flushes at once; the count is the UTF-8 size of the serialised rows", () => {
    // Multi-byte characters: a count of UTF-16 units would stay under the cap.
    const wide = row("w", { path: "/ä€😀".repeat(10), meta: JSON.stringify({ note: "ü".repeat(20) }) });
    const size = utf8Length(encodeRow(wide)) + 1;
    expect(size).toBeGreaterThan(encodeRow(wide).length + 1);
    const b = new TelemetryBuffer({ maxRows: 1_000, maxBytes: size * 3 });
    expect(b.add([wide])).toBe("schedule");
    expect(b.byteSize).toBe(size);
    expect(b.add([wide])).toBe("wait");
    expect(b.add([wide])).toBe("flush");
    expect(b.byteSize).toBe(size * 3);
  });

  it("take returns every row in order as one JSON array and empties the buffer", () => {
    const b = new TelemetryBuffer();
    const verified = row("v", { callerKey: "uid:alice", thinkerId: "thinker-0123456789abcdef", path: "/x", meta: '{"w":1}' });
    b.add([row("a"), verified]);
    b.add([row("c")]);
    const batch = b.take();
    expect(batch.count).toBe(3);
    expect(batch.json).toBe(encodeRows([row("a"), verified, row("c")]));
    expect(JSON.parse(batch.json)).toEqual([
      { t: "a", p: null, k: "ip:0123456789abcdef0123456789abcdef", m: "{}", c: 1_700_000_000_000, h: null },
      { t: "v", p: "/x", k: "uid:alice", m: '{"w":1}', c: 1_700_000_000_000, h: "thinker-0123456789abcdef" },
      { t: "c", p: null, k: "ip:0123456789abcdef0123456789abcdef", m: "{}", c: 1_700_000_000_000, h: null },
    ]);
    expect(b.size).toBe(0);
    expect(b.byteSize).toBe(0);
    expect(b.take()).toEqual({ count: 0, json: "[]" });
  });

  it("the default caps keep a flush's parameter far below D1's 2 MB string limit", () => {
    expect(DEFAULT_CAPS.maxBytes).toBeLessThanOrEqual(256 * 1024);
    expect(DEFAULT_CAPS.maxRows).toBeGreaterThan(0);
  });
});
