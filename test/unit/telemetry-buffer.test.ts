/**
 * The telemetry buffer's policy: the first item into an empty buffer schedules a flush, an item or
 * byte cap flushes at once, `take` hands over everything grouped by caller (and thinker row), in
 * order, and empties the buffer, and the byte count is the UTF-8 size of the serialised items. test/api/telemetry.test.ts runs the flush
 * itself against D1.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_CAPS, TelemetryBuffer, type TelemetryRow, encodeItem, encodeRows } from "../../src/telemetry/buffer";

const row = (type: string, extra: Partial<TelemetryRow> = {}): TelemetryRow => ({
  type,
  path: null,
  callerKey: "ip:0123456789abcdef0123456789abcdef",
  meta: "{}",
  createdAt: 1_700_000_000_000,
  thinkerId: null,
  session: null,
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
    const size = utf8Length(encodeItem(wide)) + 1;
    expect(size).toBeGreaterThan(encodeItem(wide).length + 1);
    const b = new TelemetryBuffer({ maxRows: 1_000, maxBytes: size * 3 });
    expect(b.add([wide])).toBe("schedule");
    expect(b.byteSize).toBe(size);
    expect(b.add([wide])).toBe("wait");
    expect(b.add([wide])).toBe("flush");
    expect(b.byteSize).toBe(size * 3);
  });

  it("take groups the items by caller and session: groups in order of first arrival, items in order", () => {
    const b = new TelemetryBuffer();
    const alice = { callerKey: "uid:alice", thinkerId: "thinker-0123456789abcdef", session: "1:1700604800000" };
    b.add([row("a"), row("v", { ...alice, path: "/x", meta: '{"w":1}', createdAt: 1_700_000_000_100 })]);
    b.add([row("c", { createdAt: 1_700_000_000_200 })]);
    // Another session of the same uid and thinker row (erased and verified again) is a group of its own.
    b.add([row("r", { ...alice, session: "1:1700604800250", createdAt: 1_700_000_000_300 })]);
    b.add([row("v2", { ...alice, createdAt: 1_700_000_000_400 })]);
    const batch = b.take();
    expect(batch.count).toBe(5);
    expect(batch.groups).toBe(3);
    const item = (type: string, at: number, path: string | null = null, meta: unknown = {}) => ({ type, path, meta, at });
    expect(JSON.parse(batch.json)).toEqual([
      {
        k: "ip:0123456789abcdef0123456789abcdef",
        h: null,
        c: 1_700_000_000_000,
        n: 2,
        i: [item("a", 1_700_000_000_000), item("c", 1_700_000_000_200)],
      },
      {
        k: "uid:alice",
        h: "thinker-0123456789abcdef",
        c: 1_700_000_000_100,
        n: 2,
        i: [item("v", 1_700_000_000_100, "/x", { w: 1 }), item("v2", 1_700_000_000_400)],
      },
      { k: "uid:alice", h: "thinker-0123456789abcdef", c: 1_700_000_000_300, n: 1, i: [item("r", 1_700_000_000_300)] },
    ]);
    expect(b.size).toBe(0);
    expect(b.byteSize).toBe(0);
    expect(b.take()).toEqual({ count: 0, groups: 0, json: "[]" });
  });

  it("an item's stored form survives any text: quotes, backslashes, newlines and separators stay inside their strings", () => {
    const hostile = row('x"},{"type":"y', { path: '/a\\"b\n\u2028', meta: JSON.stringify({ '"k': "}]" }) });
    const parsed = JSON.parse(encodeRows([hostile]));
    expect(parsed).toHaveLength(1);
    expect(parsed[0].i).toEqual([{ type: hostile.type, path: hostile.path, meta: { '"k': "}]" }, at: hostile.createdAt }]);
  });

  it("the default caps keep a flush's parameter far below D1's 2 MB string limit", () => {
    expect(DEFAULT_CAPS.maxBytes).toBeLessThanOrEqual(256 * 1024);
    expect(DEFAULT_CAPS.maxRows).toBeGreaterThan(0);
  });
});
