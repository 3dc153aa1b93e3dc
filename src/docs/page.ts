/**
 * The `/api/docs` page: the OpenAPI document rendered as static HTML on the server (no script),
 * one section per operation with its parameters, body and success schemas and a table of the
 * error codes it can answer with, and the table of all error codes at the end.
 *
 * @module
 */
import { ERROR_CODES, type ErrorCodeInfo } from "./errors";

/** The parts of an OpenAPI document the page reads. */
export interface DocsPageInput {
  info: { title: string; description?: string };
  paths: Record<string, Record<string, Operation>>;
}
interface Operation {
  operationId: string;
  summary?: string;
  tags?: string[];
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ name: string; in: string; required?: boolean; description?: string; schema?: unknown }>;
  requestBody?: { content: Record<string, { schema?: unknown }> };
  responses: Record<string, Response>;
}
interface Response {
  description?: string;
  content?: Record<string, { schema?: unknown }>;
  "x-error-codes"?: Record<string, string>;
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);
/** Inline `code` spans of a description, escaped. */
const text = (s: string) => esc(s).replace(/`([^`]+)`/g, "<code>$1</code>");
const pre = (v: unknown) => `<pre>${esc(JSON.stringify(v, null, 2))}</pre>`;
const details = (label: string, body: string) => `<details><summary>${esc(label)}</summary>${body}</details>`;

function auth(op: Operation): string {
  const schemes = (op.security ?? []).map((s) => Object.keys(s)[0] ?? "none");
  if (schemes.length === 0) return "none";
  if (schemes.includes("adminBearer")) return "admin bearer token (ADMIN_TOKEN)";
  const session = "session (cookie <code>ts_session</code> or <code>Authorization: Bearer</code>)";
  return schemes.includes("none") ? `optional ${session}` : session;
}

function parameters(op: Operation): string {
  if (!op.parameters?.length) return "";
  const rows = op.parameters.map((p) => {
    const schema = p.schema as { type?: unknown } | undefined;
    const type = typeof schema?.type === "string" ? schema.type : "";
    return `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${p.required ? "yes" : ""}</td><td>${esc(type)}</td><td>${text(p.description ?? "")}</td></tr>`;
  });
  return details(
    "parameters",
    `<table><tr><th>name</th><th>in</th><th>required</th><th>type</th><th></th></tr>${rows.join("")}</table>`,
  );
}

function responses(op: Operation): string {
  const parts: string[] = [];
  const errors: string[] = [];
  for (const [status, res] of Object.entries(op.responses)) {
    const codes = res["x-error-codes"];
    if (codes) {
      for (const [code, why] of Object.entries(codes)) {
        errors.push(`<tr><td>${esc(status)}</td><td><code>${esc(code)}</code></td><td>${text(why)}</td></tr>`);
      }
      continue;
    }
    const [type, media] = Object.entries(res.content ?? {})[0] ?? [];
    const head = `${status} ${type ?? ""}`.trim();
    parts.push(
      media?.schema ? details(`${head} response`, pre(media.schema)) : `<p>${esc(head)}: ${text(res.description ?? "")}</p>`,
    );
  }
  const table = errors.length
    ? `<table class="errors"><tr><th>status</th><th>code</th><th>meaning</th></tr>${errors.join("")}</table>`
    : "";
  return parts.join("") + table;
}

/** The whole page for `doc`. */
export function renderDocsPage(doc: DocsPageInput): string {
  const byTag = new Map<string, string[]>();
  const toc: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const m = method.toUpperCase();
      const tag = op.tags?.[0] ?? "other";
      const body = op.requestBody?.content["application/json"]?.schema;
      const section = [
        `<section class="op" id="${esc(op.operationId)}">`,
        `<h3><span class="m ${esc(m)}">${esc(m)}</span> <code>${esc(path)}</code> <small>${esc(op.operationId)}</small></h3>`,
        `<p>${text(op.summary ?? "")}</p>`,
        `<p class="auth">auth: ${auth(op)}</p>`,
        parameters(op),
        body ? details("request body", pre(body)) : "",
        responses(op),
        "</section>",
      ].join("");
      byTag.set(tag, [...(byTag.get(tag) ?? []), section]);
      toc.push(`<li><a href="#${esc(op.operationId)}"><code>${esc(m)} ${esc(path)}</code></a></li>`);
    }
  }
  const all = Object.entries(ERROR_CODES as Record<string, ErrorCodeInfo>)
    .sort(([a, x], [b, y]) => x.status - y.status || a.localeCompare(b))
    .map(
      ([code, info]) => `<tr><td>${info.status}</td><td><code>${esc(code)}</code></td><td>${text(info.description)}</td></tr>`,
    );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(doc.info.title)}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:980px;margin:2rem auto;padding:0 1rem;color:#1b1b1f}
h2{margin-top:2rem;border-bottom:1px solid #ddd}.op{border:1px solid #e3e3e8;border-radius:8px;padding:.5rem 1rem;margin:.75rem 0}
h3{font-size:1rem;margin:.25rem 0}h3 small{color:#777;font-weight:400}.m{font-weight:700;display:inline-block;min-width:3.5rem}
.GET{color:#0a6}.POST{color:#06c}.PUT{color:#a60}.DELETE{color:#c22}code,pre{background:#f5f5f7;border-radius:4px}
pre{padding:.5rem;overflow:auto;font-size:12px}details summary{cursor:pointer;color:#555}
table{border-collapse:collapse;font-size:13px;margin:.5rem 0}td,th{border-bottom:1px solid #eee;padding:.15rem .5rem;text-align:left;vertical-align:top}
.auth{color:#555;font-size:13px}ul.toc{columns:2;font-size:13px}
</style></head><body>
<h1>${esc(doc.info.title)}</h1>
<p>Generated from <a href="/api/openapi.json">/api/openapi.json</a>. ${text(doc.info.description ?? "")}</p>
<ul class="toc">${toc.join("")}</ul>
${[...byTag].map(([tag, sections]) => `<h2>${esc(tag)}</h2>${sections.join("")}`).join("\n")}
<h2 id="error-codes">Error codes</h2>
<table><tr><th>status</th><th>code</th><th>meaning</th></tr>${all.join("")}</table>
</body></html>`;
}
