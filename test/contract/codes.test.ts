/// <reference types="vite/client" />
/**
 * Every error code thrown anywhere under src/ is documented: in the error code table with the same
 * status, and in the document (on some operation) unless an allow-list says why no operation can
 * answer with it.
 */
import { describe, expect, it } from "vitest";
import { allRoutes } from "../../src/app";
import { ERROR_CODES, type ErrorCodeInfo, INTERNAL_ERROR_CODES, errorCodesMarkdown, routeErrors } from "../../src/docs/errors";
import { apiDocument } from "../../src/docs/openapi";

const sources = import.meta.glob<string>("../../src/**/*.ts", { query: "?raw", import: "default", eager: true });
const TABLE = ERROR_CODES as Record<string, ErrorCodeInfo>;

/** Codes thrown that no operation answers with (why: `INTERNAL_ERROR_CODES`). */
const NOT_ON_ANY_OPERATION: Record<string, ErrorCodeInfo> = INTERNAL_ERROR_CODES;
const docs = import.meta.glob<string>("../../docs/api.md", { query: "?raw", import: "default", eager: true });

const HELPER_STATUS: Record<string, number> = {
  badRequest: 400,
  unauthorized: 401,
  forbidden: 403,
  notFound: 404,
  conflict: 409,
};

interface Thrown {
  file: string;
  code: string;
  status: number;
}

/** Every `new AppError(<status>, "<code>"…)` and `badRequest("<code>"…)`-style call in src/. */
function thrownCodes(): { thrown: Thrown[]; dynamic: string[] } {
  const thrown: Thrown[] = [];
  const dynamic: string[] = [];
  for (const [path, text] of Object.entries(sources)) {
    const file = path.replace("../../", "");
    for (const m of text.matchAll(/\bnew AppError\(\s*(\d{3}),\s*(?:"([a-z_]+)"|(code\b))?/g)) {
      if (m[2]) thrown.push({ file, code: m[2], status: Number(m[1]) });
      // The status helpers themselves (`badRequest(code, …)`) are scanned at their call sites below.
      else if (!(m[3] && file === "src/core/errors.ts")) dynamic.push(file);
    }
    for (const m of text.matchAll(/\b(badRequest|unauthorized|forbidden|notFound|conflict)\(\s*"([a-z_]+)"/g)) {
      thrown.push({ file, code: m[2] as string, status: HELPER_STATUS[m[1] as string] as number });
    }
    if (/\binvalidTransition\(\s*"/.test(text)) thrown.push({ file, code: "invalid_transition", status: 409 });
  }
  return { thrown, dynamic };
}

/** Every code some response of the document can carry. */
function documentedCodes(): Set<string> {
  const codes = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      const code = (o.properties as Record<string, { enum?: string[] }> | undefined)?.code;
      if (o.required && Array.isArray(code?.enum)) for (const c of code.enum) codes.add(c);
      Object.values(o).forEach(walk);
    }
  };
  walk(apiDocument().paths);
  walk(apiDocument().components.responses);
  return codes;
}

describe("error codes in the source", () => {
  const { thrown, dynamic } = thrownCodes();

  it("finds the codes (the scan itself works)", () => {
    const codes = new Set(thrown.map((t) => t.code));
    for (const c of ["method_not_allowed", "validation_failed", "slot_taken", "invalid_transition", "admin_unauthorized"]) {
      expect(codes, c).toContain(c);
    }
    expect(thrown.length).toBeGreaterThan(60);
  });

  it("are each in the code table, with the status they are thrown with", () => {
    for (const t of thrown) {
      const info = TABLE[t.code] ?? NOT_ON_ANY_OPERATION[t.code];
      expect(info, `${t.code} (${t.file}) is missing from ERROR_CODES`).toBeDefined();
      expect(info?.status, `${t.code} thrown with ${t.status} in ${t.file}`).toBe(t.status);
    }
  });

  it("appear in the document, or in the allow-list with a reason", () => {
    const documented = documentedCodes();
    const missing = [...new Set(thrown.map((t) => t.code))].filter((c) => !documented.has(c) && !NOT_ON_ANY_OPERATION[c]);
    expect(missing).toEqual([]);
    // The allow-list holds only what really is not documented.
    for (const c of Object.keys(NOT_ON_ANY_OPERATION)) expect(documented.has(c), c).toBe(false);
  });

  it("a code computed at run time comes only from a settlement run's outcome, whose codes the run route lists", () => {
    expect(dynamic).toEqual(["src/settlements/routes.ts"]);
    const run = sources["../../src/settlements/run.ts"] ?? "";
    const outcomes = [...run.matchAll(/status: "failed",[^}]*?error: "([a-z_]+)"/g)].map((m) => m[1]);
    expect(outcomes.length).toBeGreaterThan(0);
    const route = allRoutes.find((r) => r.id === "admin.settlements.run");
    const codes = routeErrors(route as never).map((e) => e.code);
    for (const c of outcomes) expect(codes, c).toContain(c);
  });

  it("docs/api.md lists the code table as the source describes it (errorCodesMarkdown)", () => {
    const md = docs["../../docs/api.md"] ?? "";
    const missing = errorCodesMarkdown()
      .split("\n")
      .filter((line) => !md.includes(line));
    expect(missing, "paste errorCodesMarkdown() of src/docs/errors.ts into docs/api.md").toEqual([]);
  });

  it("the table lists no code that nothing answers with", () => {
    const used = new Set([...thrown.map((t) => t.code), ...allRoutes.flatMap((r) => routeErrors(r).map((e) => e.code))]);
    expect(Object.keys(TABLE).filter((c) => !used.has(c))).toEqual([]);
  });
});
