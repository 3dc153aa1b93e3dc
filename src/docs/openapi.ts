/**
 * OpenAPI 3.1 document generated from the route declarations: paths and parameters, security
 * per auth policy, request schemas from the same zod schemas that validate requests, the success
 * schema, and one error response per status with the codes that status can carry for the
 * operation (`./errors.ts`). Also the routes that serve it (`/api/openapi.json`, `/api/docs`).
 *
 * @module
 */
import * as z from "zod";
import { MAX_BODY_BYTES } from "../http/body";
import { type AnyRoute, type HandlerResult, defineRoute } from "../http/route";
import { apiRoutes } from "../routes";
import { toBase64 } from "../core/crypto";
import { DOCUMENT_TYPES } from "../legal/sniff";
import { ERROR_CODES, type RouteError, routeErrors } from "./errors";
import { type DocsPageInput, renderDocsPage } from "./page";

/** A JSON Schema object (as zod emits it). */
export type JsonSchema = Record<string, unknown>;

const jsonSchema = (s: z.ZodType, io: "input" | "output") => z.toJSONSchema(s, { io, unrepresentable: "any" }) as JsonSchema;

/** Reason phrases of the statuses the API answers with. */
export const STATUS_TEXT: Record<number, string> = {
  101: "Switching Protocols",
  200: "OK",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  426: "Upgrade Required",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** Codes whose response carries `Retry-After`. */
const RETRY_AFTER = new Set(["rate_limited", "run_in_progress", "room_full", "room_unavailable", "room_erasure_failed"]);

/** The error envelope `{ok: false, error, code, details?, requestId?}` with `code` of schema `code`. */
function envelope(code: JsonSchema): JsonSchema {
  return {
    type: "object",
    required: ["ok", "error", "code"],
    additionalProperties: false,
    properties: {
      ok: { const: false },
      error: { type: "string", description: "human-readable message" },
      code,
      details: { description: "what a client may act on: field issues, {from, to} of a refused transition…" },
      requestId: { type: "string", description: "the X-Request-Id of this request" },
    },
  };
}

/** The error envelope with `code` restricted to `codes`. */
export const errorEnvelope = (codes: readonly string[]): JsonSchema =>
  envelope({ type: "string", enum: [...codes], description: "machine code (see the error code table)" });

const header = (name: string) => ({ $ref: `#/components/headers/${name}` });
const json = (schema: JsonSchema) => ({ "application/json": { schema } });

/** The legal hub's upload: a multipart form streamed by its handler (not a JSON body). */
const UPLOAD_BODY = {
  required: true,
  description: "multipart/form-data, streamed; the file at most CONTRACT_MAX_BYTES (default 20 MiB)",
  content: {
    "multipart/form-data": {
      schema: {
        type: "object",
        required: ["file"],
        additionalProperties: false,
        properties: {
          file: { type: "string", format: "binary", description: "PDF, PNG, JPEG or UTF-8 text, by its bytes" },
          voucherId: { type: "string", maxLength: 200 },
          roomId: { type: "string", maxLength: 200 },
          name: { type: "string", maxLength: 200 },
          actorId: { type: "string", description: "the caller's own uid, if sent" },
        },
      },
    },
  },
};

/**
 * Success responses of routes whose success is not (only) one JSON body of their `response`
 * schema: WebSocket upgrades, CSV, the HTML page, and health's 503 with the same body.
 */
function successResponses(r: AnyRoute): Record<string, Record<string, unknown>> {
  const ok = (description: string, content: Record<string, unknown>) => ({
    description,
    headers: { "X-Request-Id": header("RequestId") },
    content,
  });
  switch (r.id) {
    case "rooms.ws":
    case "rooms.legacy":
      return {
        "101": {
          description: "Switching Protocols: the WebSocket (room protocol: docs/rooms.md). Refusals are plain HTTP before it.",
        },
      };
    case "admin.settlements.export":
      return { "200": ok("CSV, one settlement per line after the header line", { "text/csv": { schema: { type: "string" } } }) };
    case "docs.page":
      return { "200": ok("the HTML reference", { "text/html": { schema: { type: "string" } } }) };
    case "contracts.download": {
      const bytes = Object.fromEntries(DOCUMENT_TYPES.map((t) => [t, { schema: { type: "string", format: "binary" } }]));
      return {
        "200": ok("the document's bytes, with ETag and Digest (its SHA-256) and Content-Disposition: attachment", bytes),
        "206": ok("the requested byte range (Content-Range)", bytes),
      };
    }
  }
  // A route without a response schema documents an unconstrained body (the contract tests refuse that).
  const body = r.response ? jsonSchema(r.response, "output") : {};
  const idempotent = r.idempotent ?? r.method === "POST";
  const out: Record<string, Record<string, unknown>> = {
    "200": {
      description: "success",
      headers: {
        "X-Request-Id": header("RequestId"),
        ...(idempotent ? { "Idempotent-Replayed": header("IdempotentReplayed") } : {}),
      },
      content: json(body),
    },
  };
  if (r.id === "health") {
    out["503"] = { ...ok("unhealthy: D1 does not answer or migrations are behind (same body)", json(body)) };
  }
  return out;
}

/** Error responses of `errors`, one per status. */
function errorResponses(errors: readonly RouteError[]): Record<string, Record<string, unknown>> {
  const byStatus = new Map<number, RouteError[]>();
  for (const e of errors) byStatus.set(e.status, [...(byStatus.get(e.status) ?? []), e]);
  const out: Record<string, Record<string, unknown>> = {};
  for (const [status, list] of byStatus) {
    const codes = list.map((e) => e.code);
    out[String(status)] = {
      description: `${STATUS_TEXT[status] ?? "Error"}: ${list.map((e) => `\`${e.code}\` ${e.description}`).join("; ")}`,
      headers: {
        "X-Request-Id": header("RequestId"),
        ...(codes.some((c) => RETRY_AFTER.has(c)) ? { "Retry-After": header("RetryAfter") } : {}),
        ...(status === 405 ? { Allow: header("Allow") } : {}),
      },
      content: json(errorEnvelope(codes)),
      "x-error-codes": Object.fromEntries(list.map((e) => [e.code, e.description])),
    };
  }
  return out;
}

/** Security requirement of an auth policy: any one of the listed alternatives. */
function security(auth: AnyRoute["auth"]): Array<Record<string, string[]>> {
  switch (auth) {
    case "required":
    case "verified":
      return [{ sessionCookie: [] }, { sessionBearer: [] }];
    case "optional":
      return [{ sessionCookie: [] }, { sessionBearer: [] }, {}];
    case "admin":
      return [{ adminBearer: [] }];
    case "none":
      return [];
  }
}

const PATH_PARAM = /:([A-Za-z_][A-Za-z0-9_]*)/g;

/** `/api/rooms/:roomId/ws` → `/api/rooms/{roomId}/ws`. */
export const templatePath = (path: string) => path.replace(PATH_PARAM, "{$1}");

const PATH_PARAM_DOC: Record<string, string> = {
  roomId: "room id, URL-encoded (see docs/rooms.md: room ids)",
  id: "object id",
  uid: "a person's uid (the thinker to erase, the party whose roles change)",
};

/** One operation of the document. */
function operation(r: AnyRoute): Record<string, unknown> {
  const parameters: unknown[] = [];
  for (const [, name] of r.path.matchAll(PATH_PARAM)) {
    parameters.push({
      name,
      in: "path",
      required: true,
      description: PATH_PARAM_DOC[name as string] ?? name,
      schema: { type: "string", minLength: 1 },
    });
  }
  if (r.query) {
    const schema = jsonSchema(r.query, "input") as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, s] of Object.entries(schema.properties ?? {})) {
      parameters.push({ name, in: "query", required: schema.required?.includes(name) ?? false, schema: s });
    }
  }
  if (r.idempotent ?? r.method === "POST") {
    parameters.push({
      name: "Idempotency-Key",
      in: "header",
      required: false,
      description: "1-255 visible ASCII chars; the response is stored and replayed for 7 days",
      schema: { type: "string", minLength: 1, maxLength: 255 },
    });
  }
  if (r.auth !== "none") {
    parameters.push({
      name: "X-MOT-User",
      in: "header",
      required: false,
      description:
        r.auth === "admin"
          ? 'a uid claim of the original clients; on admin routes only "admin" passes (else 403 uid_mismatch)'
          : "a uid the caller names itself by (original clients); must be the session's uid (else 403 uid_mismatch)",
      schema: { type: "string" },
    });
  }
  const success = successResponses(r);
  const errors = errorResponses(routeErrors(r));
  for (const status of Object.keys(errors)) {
    if (success[status]) throw new Error(`${r.id}: status ${status} is both a success and an error`);
  }
  return {
    operationId: r.id,
    summary: r.summary,
    tags: [r.tag],
    security: security(r.auth),
    ...(parameters.length ? { parameters } : {}),
    ...(r.body
      ? {
          requestBody: {
            required: true,
            description: `JSON, at most ${MAX_BODY_BYTES} bytes`,
            content: json(jsonSchema(r.body, "input")),
          },
        }
      : r.id === "contracts.upload"
        ? { requestBody: UPLOAD_BODY }
        : {}),
    responses: { ...success, ...errors },
  };
}

/** Builds the OpenAPI document for `routes`. */
export function buildOpenApi(routes: readonly AnyRoute[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = templatePath(r.path);
    const method = r.method.toLowerCase();
    if (paths[path]?.[method]) throw new Error(`${r.method} ${r.path} is declared twice`);
    paths[path] = { ...paths[path], [method]: operation(r) };
  }
  return {
    openapi: "3.1.0" as const,
    info: {
      title: "Together Systems edge API",
      version: "1.0.0",
      description:
        'All bodies are JSON. Success: `{"ok": true, …}`. Errors: `{"ok": false, "error", "code", "details"?, "requestId"}`; each operation lists, per status, the codes it can answer with. Every response but a 101 carries `X-Request-Id`.',
    },
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    components: {
      securitySchemes: {
        sessionCookie: {
          type: "apiKey",
          in: "cookie",
          name: "ts_session",
          description: "the session cookie set by POST /api/presence/verify (HttpOnly, SameSite=Lax; this site's pages only)",
        },
        sessionBearer: {
          type: "http",
          scheme: "bearer",
          description: "the `session` token returned by POST /api/presence/verify",
        },
        adminBearer: { type: "http", scheme: "bearer", description: "the operator's ADMIN_TOKEN" },
      },
      schemas: {
        ErrorCode: {
          type: "string",
          enum: Object.keys(ERROR_CODES).sort(),
          description: "every error code of the API (each operation lists, per status, the ones it can answer with)",
        },
        ApiError: envelope({ $ref: "#/components/schemas/ErrorCode" }),
      },
      responses: {
        NotFound: {
          description: "the router's answer for a path no operation serves",
          content: json(errorEnvelope(["not_found"])),
        },
      },
      headers: {
        RequestId: { description: "id of this request (echoes a valid X-Request-Id)", schema: { type: "string" } },
        RetryAfter: { description: "seconds to wait before retrying", schema: { type: "string", pattern: "^[0-9]+$" } },
        Allow: { description: "the method this path is served with", schema: { type: "string" } },
        IdempotentReplayed: {
          description: '"true" when the response is the stored one of an earlier request with the same Idempotency-Key',
          schema: { type: "string", enum: ["true"] },
        },
      },
    },
    paths,
  };
}

/** The OpenAPI document. */
export type OpenApiDocument = ReturnType<typeof buildOpenApi>;

let cached: OpenApiDocument | null = null;
let cachedPage: { html: string; csp: string } | null = null;

/**
 * The page's content security policy: nothing but its one inline style block, allowed by hash
 * (no script at all, no 'unsafe-inline'), and never framed.
 */
async function pagePolicy(html: string): Promise<string> {
  const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? "";
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(style)));
  const hash = toBase64(digest);
  return `default-src 'none'; style-src 'sha256-${hash}'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`;
}

/** The document of the whole API (built once per isolate: the declarations never change). */
export function apiDocument(): OpenApiDocument {
  cached ??= buildOpenApi([...apiRoutes, openapiJson, docsPage]);
  return cached;
}

export const openapiJson: AnyRoute = defineRoute({
  id: "docs.openapi",
  method: "GET",
  path: "/api/openapi.json",
  tag: "docs",
  summary: "This API's OpenAPI 3.1 document.",
  auth: "none",
  access: "read",
  response: z.looseObject({
    openapi: z.literal("3.1.0"),
    info: z.looseObject({ title: z.string(), version: z.string() }),
    paths: z.record(z.string(), z.record(z.string(), z.unknown())),
  }),
  async handler(): Promise<HandlerResult> {
    return { body: apiDocument() };
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
    if (!cachedPage) {
      const html = renderDocsPage(apiDocument() as unknown as DocsPageInput);
      cachedPage = { html, csp: await pagePolicy(html) };
    }
    return {
      body: cachedPage.html,
      headers: { "content-type": "text/html; charset=utf-8", "content-security-policy": cachedPage.csp },
    };
  },
});
