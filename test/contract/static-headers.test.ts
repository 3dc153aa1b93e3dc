/**
 * The static pages' security headers (public/_headers, applied by Cloudflare Pages and by
 * `wrangler pages dev`): a strict CSP for every page, and pages that need nothing it forbids.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const pub = resolve(import.meta.dirname, "../../public");

/** `_headers` as {pattern: {header: value}}. */
function parseHeaders(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let current: Record<string, string> | null = null;
  for (const line of text.split("\n")) {
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    if (!/^\s/.test(line)) {
      current = {};
      out[line.trim()] = current;
    } else if (current) {
      const i = line.indexOf(":");
      current[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
  }
  return out;
}

const rules = parseHeaders(readFileSync(join(pub, "_headers"), "utf8"));
const all = rules["/*"] ?? {};
const csp = Object.fromEntries(
  (all["content-security-policy"] ?? "").split(";").map((d) => {
    const [name, ...values] = d.trim().split(/\s+/);
    return [name, values];
  }),
);

describe("public/_headers", () => {
  it("gives every page a strict CSP and the other security headers", () => {
    expect(csp["default-src"]).toEqual(["'self'"]);
    expect(csp["script-src"]).toEqual(["'self'"]);
    expect(csp["style-src"]).toEqual(["'self'"]);
    expect(csp["connect-src"]).toEqual(["'self'"]);
    expect(csp["frame-ancestors"]).toEqual(["'none'"]);
    expect(csp["object-src"]).toEqual(["'none'"]);
    expect(all["content-security-policy"]).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(all["x-content-type-options"]).toBe("nosniff");
    expect(all["referrer-policy"]).toBeTruthy();
    expect(all["cross-origin-opener-policy"]).toBe("same-origin");
  });

  it("the pages use nothing the CSP forbids: no inline script, style or handler, no foreign source", () => {
    const pages = readdirSync(pub).filter((f) => f.endsWith(".html"));
    expect(pages.length).toBeGreaterThanOrEqual(3);
    for (const page of pages) {
      const html = readFileSync(join(pub, page), "utf8");
      expect(html, page).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/i);
      expect(html, page).not.toMatch(/<style[\s>]/i);
      expect(html, page).not.toMatch(/\sstyle\s*=/i);
      expect(html, page).not.toMatch(/\son[a-z]+\s*=/i);
      expect(html, page).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    }
  });
});
