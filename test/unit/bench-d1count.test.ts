/**
 * bench/lib/d1log.ts (used by bench/lib/d1count.ts) reads D1 calls and their writes out of wrangler's debug log. The entries
 * below have the exact layout wrangler 4.86 writes (captured from a `pages dev` run: one D1
 * `run()` of a CREATE TABLE that changed nothing, one INSERT, one SELECT); a change in that layout
 * must fail here rather than silently report "0 writes" in RESULTS.md.
 */
import { describe, expect, it } from "vitest";
import { attachedWorker, d1Effect, tallyLog } from "../../bench/lib/d1log";

const b64 = (value: unknown) => btoa(JSON.stringify(value));
const meta = (changed: boolean, rowsWritten: number) => ({
  served_by: "miniflare.db",
  duration: 0,
  changes: rowsWritten,
  last_row_id: 2,
  changed_db: changed,
  size_after: 12288,
  rows_read: 0,
  rows_written: rowsWritten,
});

function sent(id: string, url: string): string {
  return `--- 2026-12-04T17:56:02.601Z debug
[InspectorProxyWorker] RUNTIME INCOMING MESSAGE {
  method: 'Network.requestWillBeSent',
  params: {
    requestId: '${id}',
    loaderId: '',
    request: {
      url: '${url}',
      method: 'POST',
      headers: [Object],
      mixedContentType: 'blockable',
      initialPriority: 'VeryLow',
      referrerPolicy: 'unsafe-url',
      isLinkPreload: false
    },
    timestamp: 840.563,
    wallTime: 1796406962.527,
    initiator: { type: 'script', stack: [Object], lineNumber: 0 },
    type: 'Fetch'
  }
}
---
`;
}

function finished(id: string, body: string): string {
  return `
--- 2026-12-04T17:56:02.610Z debug
[InspectorProxyWorker] RUNTIME INCOMING MESSAGE {
  method: 'Network.loadingFinished',
  params: {
    requestId: '${id}',
    timestamp: 840.569,
    encodedDataLength: 176,
    cfResponse: {
      body: '${body}',
      base64Encoded: true
    }
  }
}
---
`;
}

/** The INSERT's body exactly as captured. */
const CAPTURED_INSERT =
  "W3sic3VjY2VzcyI6dHJ1ZSwicmVzdWx0cyI6W10sIm1ldGEiOnsic2VydmVkX2J5IjoibWluaWZsYXJlLmRiIiwiZHVyYXRpb24iOjAsImNoYW5nZXMiOjEsImxhc3Rfcm93X2lkIjoyLCJjaGFuZ2VkX2RiIjp0cnVlLCJzaXplX2FmdGVyIjoxMjI4OCwicm93c19yZWFkIjowLCJyb3dzX3dyaXR0ZW4iOjF9fV0=";

describe("D1 calls and writes from wrangler's debug log", () => {
  it("counts every D1 call, and as writes only those D1 says changed the database", () => {
    const log = [
      sent("0", "http://d1/execute?resultsFormat=NONE"),
      finished("0", b64([{ success: true, results: [], meta: meta(false, 0) }])),
      sent("1", "http://d1/execute?resultsFormat=NONE"),
      finished("1", CAPTURED_INSERT),
      sent("2", "http://d1/query?resultsFormat=ROWS_AND_COLUMNS"),
      finished("2", b64([{ success: true, results: { columns: ["n"], rows: [[2]] }, meta: meta(false, 0) }])),
    ].join("");
    expect(tallyLog(log)).toEqual({ calls: 3, writeCalls: 1, rowsWritten: 1, unread: 0 });
  });

  it("a finish logged before its start still pairs up (wrangler writes the log asynchronously)", () => {
    const log = finished("9", CAPTURED_INSERT) + sent("9", "http://d1/execute?resultsFormat=NONE");
    expect(tallyLog(log)).toEqual({ calls: 1, writeCalls: 1, rowsWritten: 1, unread: 0 });
  });

  it("a batch is one call; its rows written add up over its statements", () => {
    const batch = b64([
      { success: true, results: [], meta: meta(true, 3) },
      { success: true, results: [{ id: 1 }], meta: meta(false, 0) },
      { success: true, results: [], meta: meta(true, 2) },
    ]);
    expect(tallyLog(sent("7", "http://d1/query?resultsFormat=ROWS_AND_COLUMNS") + finished("7", batch))).toEqual({
      calls: 1,
      writeCalls: 1,
      rowsWritten: 5,
      unread: 0,
    });
  });

  it("other subrequests are not D1 calls; a D1 call without a readable result is reported, not guessed", () => {
    const log = [
      sent("3", "http://example.com/x"),
      finished("3", CAPTURED_INSERT),
      sent("4", "http://d1/query?resultsFormat=ROWS_AND_COLUMNS"),
      finished("4", "bm90IGpzb24="),
      sent("5", "http://d1/query?resultsFormat=ROWS_AND_COLUMNS"),
    ].join("");
    expect(tallyLog(log)).toEqual({ calls: 2, writeCalls: 0, rowsWritten: 0, unread: 2 });
  });

  it("a result the log cut off (wrangler keeps 10,000 characters of a string) is reported, not guessed", () => {
    const cut = `${finished("8", CAPTURED_INSERT)}`.replace(
      `${CAPTURED_INSERT}'`,
      `${CAPTURED_INSERT.slice(0, 40)}'... 11620 more characters`,
    );
    expect(tallyLog(sent("8", "http://d1/query?resultsFormat=ROWS_AND_COLUMNS") + cut)).toEqual({
      calls: 1,
      writeCalls: 0,
      rowsWritten: 0,
      unread: 1,
    });
  });

  it("d1Effect reads changed_db and rows_written", () => {
    expect(d1Effect(CAPTURED_INSERT)).toEqual({ changed: true, rowsWritten: 1 });
    expect(d1Effect(b64([{ meta: meta(false, 0) }]))).toEqual({ changed: false, rowsWritten: 0 });
    expect(d1Effect("!!")).toBeNull();
  });

  it("the Worker the inspector proxy watches is the last one it connected to", () => {
    const connect = (port: number, name: string) =>
      `--- 2026-12-04T18:45:42.100Z debug\n[InspectorProxyWorker] NEW RUNTIME WEBSOCKET http://127.0.0.1:${port}/core:user:${name}\n---\n`;
    expect(attachedWorker("")).toBeNull();
    expect(attachedWorker(connect(35333, "together-systems-backend"))).toBe("together-systems-backend");
    expect(attachedWorker(connect(35333, "together-systems-backend") + connect(35767, "together-systems"))).toBe(
      "together-systems",
    );
  });
});
