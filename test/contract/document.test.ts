/**
 * The OpenAPI document as a contract: valid OpenAPI 3.1 by a standard validator, every path
 * parameter declared, security per auth policy, a success schema per operation, and per error
 * status one envelope whose code enum is exactly what the route's declaration allows.
 */
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { allRoutes } from "../../src/app";
import { ERROR_CODES, type ErrorCodeInfo, entryStatus, pipelineErrors, routeErrors } from "../../src/docs/errors";
import { apiDocument, buildOpenApi, templatePath } from "../../src/docs/openapi";
import type { AnyRoute } from "../../src/http/route";

type Json = Record<string, any>;
const doc = apiDocument() as unknown as Json;
const opOf = (r: AnyRoute): Json => doc.paths[templatePath(r.path)][r.method.toLowerCase()];
const TABLE = ERROR_CODES as Record<string, ErrorCodeInfo>;

async function validate(d: unknown) {
  const v = new Validator();
  const res = await v.validate(structuredClone(d) as Record<string, unknown>);
  return { valid: res.valid, version: v.version, errors: res.errors };
}

describe("the OpenAPI document", () => {
  it("is valid OpenAPI 3.1 for a standard validator", async () => {
    const res = await validate(doc);
    expect(res.errors).toBeUndefined();
    expect(res).toMatchObject({ valid: true, version: "3.1" });
  });

  it("the validator refuses a document that breaks the spec (control)", async () => {
    const broken = structuredClone(doc);
    const [path] = Object.keys(broken.paths).filter((p) => p.includes("{"));
    const op = Object.values(broken.paths[path as string] as Json)[0] as Json;
    // A path parameter must be required.
    op.parameters.find((p: Json) => p.in === "path").required = false;
    expect((await validate(broken)).valid).toBe(false);
    const noResponses = structuredClone(doc);
    (Object.values(noResponses.paths)[0] as Json).post.responses = "none";
    expect((await validate(noResponses)).valid).toBe(false);
  });

  it("serves every route once, under its {param} path", () => {
    const ops = Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item as Json).map((m) => `${m} ${p}`));
    expect(ops.sort()).toEqual(allRoutes.map((r) => `${r.method.toLowerCase()} ${templatePath(r.path)}`).sort());
    for (const p of Object.keys(doc.paths)) expect(p, p).not.toMatch(/:/);
  });

  it("declares each path parameter as a required string, and no other", () => {
    for (const r of allRoutes) {
      const names = [...templatePath(r.path).matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const declared = ((opOf(r).parameters ?? []) as Json[]).filter((p) => p.in === "path");
      expect(declared.map((p) => p.name).sort(), r.id).toEqual(names.sort());
      for (const p of declared) expect(p, `${r.id} ${p.name}`).toMatchObject({ required: true, schema: { type: "string" } });
    }
  });

  it("attaches the security schemes of each route's auth policy", () => {
    const expected: Record<AnyRoute["auth"], unknown[]> = {
      required: [{ sessionCookie: [] }, { sessionBearer: [] }],
      verified: [{ sessionCookie: [] }, { sessionBearer: [] }],
      optional: [{ sessionCookie: [] }, { sessionBearer: [] }, {}],
      admin: [{ adminBearer: [] }],
      none: [],
    };
    for (const r of allRoutes) expect(opOf(r).security, r.id).toEqual(expected[r.auth]);
    expect(doc.components.securitySchemes).toMatchObject({
      sessionCookie: { type: "apiKey", in: "cookie", name: "ts_session" },
      sessionBearer: { type: "http", scheme: "bearer" },
      adminBearer: { type: "http", scheme: "bearer" },
    });
  });

  it("declares a success schema for every operation", () => {
    for (const r of allRoutes) {
      const responses = opOf(r).responses as Record<string, Json>;
      const success = Object.entries(responses).filter(([s]) => Number(s) < 400);
      expect(success.length, r.id).toBeGreaterThan(0);
      for (const [status, res] of success) {
        if (status === "101") continue;
        const [type, media] = Object.entries(res.content as Json)[0] as [string, Json];
        if (type !== "application/json") continue;
        // A JSON success must constrain its body (a route without `response` documents `{}`): a
        // type, or a choice of typed shapes (a route with two answer formats).
        const schema = media.schema as Json;
        const shapes = (schema.anyOf ?? schema.oneOf ?? [schema]) as Json[];
        for (const shape of shapes) expect(Object.keys(shape), `${r.id} ${status}: declare \`response\``).toContain("type");
      }
    }
  });

  it("has one error response per status, an envelope whose code enum is the route's codes of that status", () => {
    for (const r of allRoutes) {
      const responses = opOf(r).responses as Record<string, Json>;
      const byStatus = new Map<string, string[]>();
      for (const e of routeErrors(r)) byStatus.set(String(e.status), [...(byStatus.get(String(e.status)) ?? []), e.code]);
      const errorStatuses = Object.keys(responses).filter((s) => Number(s) >= 400 && !(r.id === "health" && s === "503"));
      expect(errorStatuses.sort(), r.id).toEqual([...byStatus.keys()].sort());
      for (const [status, codes] of byStatus) {
        const schema = responses[status]?.content["application/json"].schema;
        expect(schema, `${r.id} ${status}`).toMatchObject({
          type: "object",
          required: ["ok", "error", "code"],
          additionalProperties: false,
          properties: { ok: { const: false }, error: { type: "string" }, code: { type: "string", enum: codes } },
        });
        expect(Object.keys(schema.properties).sort()).toEqual(["code", "details", "error", "ok", "requestId"]);
      }
    }
  });

  it("gives every code its one status from the table, and describes every code it uses", () => {
    for (const r of allRoutes) {
      for (const [code, text] of Object.entries(r.errors ?? {})) {
        // Each entry starts with its status, and that status is the code's.
        expect(entryStatus(text), `${r.id} errors.${code}: "${text}"`).not.toBeNull();
        expect(TABLE[code], `${code} (${r.id}) is missing from ERROR_CODES`).toBeDefined();
        expect(entryStatus(text), `${r.id} errors.${code}`).toBe(TABLE[code]?.status);
      }
      for (const e of routeErrors(r)) expect(e.description, `${r.id} ${e.code}`).not.toBe("");
    }
  });

  it("refuses an errors entry without its leading status, or with another status than the code's", () => {
    const base = allRoutes.find((r) => r.id === "voucher.book") as AnyRoute;
    expect(() => routeErrors({ ...base, errors: { slot_taken: "already booked" } })).toThrow(/must start with its HTTP status/);
    expect(() => routeErrors({ ...base, errors: { slot_taken: "400" } })).toThrow(/always 409/);
    expect(() => buildOpenApi([{ ...base, errors: { slot_taken: "taken" } }])).toThrow(/voucher\.book/);
  });
});

describe("pipeline codes derived from a declaration", () => {
  const route = (over: Partial<AnyRoute>): AnyRoute =>
    ({
      id: "t",
      method: "GET",
      path: "/t",
      summary: "",
      tag: "t",
      auth: "none",
      access: "read",
      handler: null,
      ...over,
    }) as never;

  it("every route: 405, 500 and (unless exempt) 429", () => {
    expect(pipelineErrors(route({})).sort()).toEqual(["internal_error", "method_not_allowed", "rate_limited"]);
    expect(pipelineErrors(route({ rateLimited: false }))).not.toContain("rate_limited");
  });

  it("a session route refuses missing, bad and revoked sessions and foreign uid claims; cookie writes from other origins", () => {
    const get = pipelineErrors(route({ auth: "required" }));
    expect(get).toEqual(expect.arrayContaining(["unauthenticated", "invalid_session", "session_revoked", "uid_mismatch"]));
    expect(get).not.toContain("bad_origin");
    expect(pipelineErrors(route({ auth: "required", method: "POST", idempotent: false }))).toContain("bad_origin");
    const optional = pipelineErrors(route({ auth: "optional" }));
    expect(optional).toContain("session_revoked");
    expect(optional).not.toContain("unauthenticated");
  });

  it("a body adds the body codes, a POST the idempotency codes unless it opts out", () => {
    const body = { safeParse: () => ({ success: true }) } as never;
    expect(pipelineErrors(route({ method: "POST", body }))).toEqual(
      expect.arrayContaining([
        "body_too_large",
        "invalid_json",
        "invalid_encoding",
        "validation_failed",
        "invalid_idempotency_key",
      ]),
    );
    expect(pipelineErrors(route({ method: "POST", idempotent: false }))).not.toContain("idempotency_key_reused");
  });

  it("admin routes answer with the admin token's codes, not the session's", () => {
    const admin = pipelineErrors(route({ auth: "admin", method: "POST", idempotent: false }));
    expect(admin).toEqual(expect.arrayContaining(["admin_not_configured", "admin_unauthorized", "rate_limited"]));
    expect(admin).not.toContain("unauthenticated");
    expect(admin).not.toContain("bad_origin");
  });
});
