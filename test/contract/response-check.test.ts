/**
 * The response check every API test runs (`call`/`json` in test/support/client.ts): it accepts what
 * the document declares and refuses a wrong body, an undeclared status or code, a wrong content
 * type and an unknown path.
 */
import { describe, expect, it } from "vitest";
import { apiDocument } from "../../src/docs/openapi";
import { type ContractDoc, type ObservedResponse, ResponseContract } from "../support/openapi";

const contract = new ResponseContract(apiDocument() as unknown as ContractDoc);
const JSON_TYPE = "application/json; charset=utf-8";
const res = (over: Partial<ObservedResponse> & { json?: unknown }): ObservedResponse => ({
  method: "GET",
  path: "/api/voucher/templates",
  status: 200,
  contentType: JSON_TYPE,
  body: JSON.stringify(over.json ?? { ok: true, items: [] }),
  ...over,
});
const error = (code: string, extra: Record<string, unknown> = {}) => ({
  ok: false,
  error: "x",
  code,
  requestId: "req-1",
  ...extra,
});

describe("the response contract check", () => {
  it("accepts a declared success and a declared error", () => {
    expect(() => contract.check(res({}))).not.toThrow();
    expect(() => contract.check(res({ status: 429, json: error("rate_limited", { details: { retryAfter: 3 } }) }))).not.toThrow();
    expect(() =>
      contract.check(res({ method: "POST", path: "/api/voucher/book", status: 409, json: error("slot_taken") })),
    ).not.toThrow();
  });

  it("refuses a success body that does not match the schema", () => {
    expect(() => contract.check(res({ json: { ok: true, items: [{ templateId: 1 }] } }))).toThrow(/does not match/);
    expect(() => contract.check(res({ json: { ok: true, items: [], extra: 1 } }))).toThrow(/does not match/);
    expect(() => contract.check(res({ json: { ok: false, items: [] } }))).toThrow(/does not match/);
  });

  it("refuses an undeclared status, and a code the status does not carry for the operation", () => {
    expect(() => contract.check(res({ status: 404, json: error("voucher_not_found") }))).toThrow(/declares no 404/);
    expect(() =>
      contract.check(res({ method: "POST", path: "/api/voucher/book", status: 409, json: error("run_in_progress") })),
    ).toThrow(/does not match/);
    // A code of another status of the same operation.
    expect(() =>
      contract.check(res({ method: "POST", path: "/api/voucher/book", status: 400, json: error("slot_taken") })),
    ).toThrow(/does not match/);
  });

  it("refuses an error envelope with unknown fields or without its message", () => {
    expect(() => contract.check(res({ status: 429, json: { ok: false, code: "rate_limited" } }))).toThrow(/does not match/);
    expect(() => contract.check(res({ status: 429, json: error("rate_limited", { stack: "…" }) }))).toThrow(/does not match/);
  });

  it("matches {param} templates, preferring a static path", () => {
    const settlement = { path: "/api/admin/settlements/export.csv", contentType: "text/csv; charset=utf-8", body: "id\n" };
    expect(() => contract.check(res(settlement))).not.toThrow();
    expect(() => contract.check(res({ ...settlement, contentType: JSON_TYPE }))).toThrow(/content-type/);
    expect(() =>
      contract.check(res({ path: "/api/admin/settlements/s-1?limit=2", status: 404, json: error("settlement_not_found") })),
    ).not.toThrow();
    expect(() =>
      contract.check(res({ path: "/api/rooms/honeycomb%3Aa/ws", status: 426, json: error("upgrade_required") })),
    ).not.toThrow();
    expect(() =>
      contract.check(res({ path: "/api/rooms/honeycomb%3Aa/ws", status: 101, contentType: null, body: "" })),
    ).not.toThrow();
  });

  it("expects 405 for another method on a served path, and 404 not_found for an unserved one", () => {
    expect(() => contract.check(res({ method: "DELETE", status: 405, json: error("method_not_allowed") }))).not.toThrow();
    expect(() => contract.check(res({ method: "DELETE", status: 200 }))).toThrow(/expected 405/);
    expect(() => contract.check(res({ path: "/api/nope", status: 404, json: error("not_found") }))).not.toThrow();
    expect(() => contract.check(res({ path: "/api/nope", status: 404, json: error("voucher_not_found") }))).toThrow(
      /does not match/,
    );
    expect(() => contract.check(res({ path: "/api/nope", status: 200 }))).toThrow(/no operation serves/);
  });

  it("leaves the served document untouched", () => {
    const before = JSON.stringify(apiDocument());
    const fresh = new ResponseContract(apiDocument() as unknown as ContractDoc);
    fresh.check(res({}));
    expect(JSON.stringify(apiDocument())).toBe(before);
  });
});
