/**
 * OpenAPI 3.1 document generated from the same zod schemas that validate requests, and the
 * routes that serve it (`/api/openapi.json`, `/api/docs`).
 *
 * @module
 */
import * as z from "zod";
import { MAX_BODY_BYTES } from "../http/body";
import { type AnyRoute, type HandlerResult, defineRoute } from "../http/route";
import { apiRoutes } from "../routes";

const jsonSchema = (s: z.ZodType) => z.toJSONSchema(s, { io: "input", unrepresentable: "any" });
const ErrorBody = {
  type: "object",
  required: ["ok", "error", "code"],
  properties: {
    ok: { const: false },
    error: { type: "string", description: "human-readable message" },
    code: { type: "string", description: "machine code" },
    details: {},
    requestId: { type: "string" },
  },
};

/** Builds the OpenAPI document for `routes`. */
export function buildOpenApi(routes: readonly AnyRoute[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const parameters: unknown[] = [];
    if (r.query) {
      const schema = jsonSchema(r.query) as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, s] of Object.entries(schema.properties ?? {})) {
        parameters.push({ name, in: "query", required: schema.required?.includes(name) ?? false, schema: s });
      }
    }
    if (r.method === "POST" && (r.idempotent ?? true)) {
      parameters.push({
        name: "Idempotency-Key",
        in: "header",
        required: false,
        description: "1-255 visible ASCII chars; results are replayed for 7 days",
        schema: { type: "string", maxLength: 255 },
      });
    }
    const errors = Object.entries(r.errors ?? {})
      .map(([code, text]) => `\`${code}\` ${text}`)
      .join("; ");
    paths[r.path] = {
      ...paths[r.path],
      [r.method.toLowerCase()]: {
        operationId: r.id,
        summary: r.summary,
        tags: [r.tag],
        ...(r.auth === "required" || r.auth === "verified" ? { security: [{ session: [] }, { cookie: [] }] } : {}),
        parameters,
        ...(r.body ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(r.body) } } } } : {}),
        responses: {
          "200": {
            description: "success",
            content: { "application/json": { schema: r.response ? jsonSchema(r.response) : {} } },
          },
          "4XX": {
            description: `error${errors ? `: ${errors}` : ""}; also validation_failed, invalid_json, body_too_large (> ${MAX_BODY_BYTES} B), unauthenticated, uid_mismatch, rate_limited, idempotency_key_reused (422), idempotency_request_in_flight (409)`,
            content: { "application/json": { schema: ErrorBody } },
          },
        },
      },
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "Together Systems edge API", version: "1.0.0" },
    components: {
      securitySchemes: {
        session: { type: "http", scheme: "bearer", description: "session token from POST /api/presence/verify" },
        cookie: { type: "apiKey", in: "cookie", name: "ts_session" },
      },
    },
    paths,
  };
}

export const openapiJson: AnyRoute = defineRoute({
  id: "docs.openapi",
  method: "GET",
  path: "/api/openapi.json",
  tag: "docs",
  summary: "This API's OpenAPI 3.1 document.",
  auth: "none",
  access: "read",
  async handler(): Promise<HandlerResult> {
    return { body: buildOpenApi([...apiRoutes, openapiJson, docsPage]) };
  },
});

export const docsPage: AnyRoute = defineRoute({
  id: "docs.page",
  method: "GET",
  path: "/api/docs",
  tag: "docs",
  summary: "Human-readable API reference rendered from /api/openapi.json.",
  auth: "none",
  access: "read",
  async handler() {
    return { body: DOCS_HTML, headers: { "content-type": "text/html; charset=utf-8" } };
  },
});

/** A dependency-free page that fetches the OpenAPI document and renders it as a reference. */
const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Together Systems API</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1b1b1f}
h2{margin-top:2rem;border-bottom:1px solid #ddd}.op{border:1px solid #e3e3e8;border-radius:8px;padding:.75rem 1rem;margin:.75rem 0}
.m{font-weight:700;display:inline-block;min-width:3.5rem}.GET{color:#0a6}.POST{color:#06c}code,pre{background:#f5f5f7;border-radius:4px}
pre{padding:.5rem;overflow:auto;font-size:12px}details summary{cursor:pointer;color:#555}
</style></head><body>
<h1>Together Systems API</h1><p>Generated from <a href="/api/openapi.json">/api/openapi.json</a>. Errors are
<code>{"ok":false,"error","code","details?"}</code>; writes need a session (cookie or <code>Authorization: Bearer</code>).</p>
<div id="ops">Loading…</div>
<script type="module">
const doc = await (await fetch("/api/openapi.json")).json();
const el = (tag, props = {}, ...kids) => { const n = Object.assign(document.createElement(tag), props); n.append(...kids); return n; };
const byTag = {};
for (const [path, ops] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(ops)) (byTag[op.tags[0]] ??= []).push({ path, method: method.toUpperCase(), op });
const root = document.getElementById("ops"); root.textContent = "";
for (const [tag, ops] of Object.entries(byTag)) {
  root.append(el("h2", { textContent: tag }));
  for (const { path, method, op } of ops) {
    const box = el("div", { className: "op" }, el("span", { className: "m " + method, textContent: method }), el("code", { textContent: path }), el("p", { textContent: op.summary }));
    const show = (label, value) => { const d = el("details", {}, el("summary", { textContent: label }), el("pre", { textContent: JSON.stringify(value, null, 2) })); box.append(d); };
    if (op.parameters?.length) show("parameters", op.parameters);
    if (op.requestBody) show("request body", op.requestBody.content["application/json"].schema);
    show("responses", op.responses);
    root.append(box);
  }
}
</script></body></html>`;
