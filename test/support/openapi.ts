/**
 * The response contract check of the API tests: finds the operation of a request in the OpenAPI
 * document (method + path template) and checks a response against what the document declares for
 * its status: the success schema, or the error envelope whose `code` enum lists the codes that
 * status can carry. Runs inside workerd, so the JSON Schema validator must not compile code
 * (`@cfworker/json-schema` interprets the schema); pure, so the Node contract tests prove it too.
 */
import { type Schema, Validator } from "@cfworker/json-schema";

/** The parts of an OpenAPI document the check reads. */
export interface ContractDoc {
  paths: Record<string, Record<string, ContractOperation | unknown>>;
  components?: { responses?: Record<string, ContractResponse> };
}
interface ContractOperation {
  operationId: string;
  responses: Record<string, ContractResponse>;
}
interface ContractResponse {
  content?: Record<string, { schema?: unknown }>;
}

/** A response as the check sees it. */
export interface ObservedResponse {
  method: string;
  /** Request path, optionally with the query string. */
  path: string;
  status: number;
  contentType: string | null;
  /** The body text (ignored for a 101). */
  body: string;
}

const METHODS = new Set(["get", "put", "post", "delete", "patch", "head", "options", "trace"]);

interface Template {
  path: string;
  pattern: RegExp;
  params: number;
  ops: Record<string, ContractOperation>;
}

/** Checks responses against one document. */
export class ResponseContract {
  private readonly templates: Template[];
  private readonly validators = new Map<string, Validator>();

  constructor(private readonly doc: ContractDoc) {
    this.templates = Object.entries(doc.paths)
      .map(([path, item]) => {
        const ops: Record<string, ContractOperation> = {};
        for (const [m, op] of Object.entries(item)) if (METHODS.has(m)) ops[m] = op as ContractOperation;
        const source = path
          .split(/(\{[^}]+\})/)
          .map((part) => (part.startsWith("{") ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
          .join("");
        return { path, pattern: new RegExp(`^${source}$`), params: (path.match(/\{/g) ?? []).length, ops };
      })
      // A static path wins over a template that also matches it (`/settlements/export.csv` vs `/settlements/{id}`).
      .sort((a, b) => a.params - b.params);
  }

  /**
   * Throws (with what was expected) unless `res` is what the document declares for its request.
   * A path no operation serves must be the router's 404 `not_found`; a known path asked with
   * another method, a 405 of that path's operations.
   */
  check(res: ObservedResponse): void {
    const pathname = res.path.split("?")[0] ?? "";
    const template = this.templates.find((t) => t.pattern.test(pathname));
    const where = `${res.method} ${res.path} → ${res.status}`;
    if (!template) {
      const notFound = this.doc.components?.responses?.NotFound;
      if (res.status !== 404 || !notFound) throw new Error(`${where}: no operation serves this path (expected 404 not_found)`);
      this.validate(`NotFound`, notFound, res, where);
      return;
    }
    const method = res.method.toLowerCase() === "head" ? "get" : res.method.toLowerCase();
    const op = template.ops[method];
    if (!op) {
      const any = Object.values(template.ops)[0];
      const declared = any?.responses["405"];
      if (res.status !== 405 || !any || !declared) {
        throw new Error(`${where}: ${template.path} has no ${res.method} operation (expected 405 method_not_allowed)`);
      }
      this.validate(`${any.operationId} 405`, declared, res, where);
      return;
    }
    const declared = op.responses[String(res.status)];
    if (!declared) {
      throw new Error(
        `${where}: ${op.operationId} declares no ${res.status} response (declared: ${Object.keys(op.responses).join(", ")})`,
      );
    }
    this.validate(`${op.operationId} ${res.status}`, declared, res, `${where} (${op.operationId})`);
  }

  private validate(key: string, declared: ContractResponse, res: ObservedResponse, where: string): void {
    if (res.status === 101) return;
    const content = declared.content ?? {};
    const type = (res.contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
    const media = content[type];
    if (!media) {
      throw new Error(
        `${where}: content-type ${res.contentType ?? "(none)"}; declared: ${Object.keys(content).join(", ") || "no body"}`,
      );
    }
    if (type !== "application/json" || media.schema === undefined) return;
    let body: unknown;
    try {
      body = JSON.parse(res.body);
    } catch {
      throw new Error(`${where}: body is not JSON: ${res.body.slice(0, 200)}`);
    }
    let validator = this.validators.get(key);
    if (!validator) {
      // The validator annotates the schema it is given: hand it a copy, never the served document.
      validator = new Validator(structuredClone(media.schema) as Schema, "2020-12", false);
      this.validators.set(key, validator);
    }
    const result = validator.validate(body);
    if (!result.valid) {
      const errors = result.errors
        .filter((e) => e.keyword !== "properties" && e.keyword !== "items" && e.keyword !== "allOf")
        .slice(0, 8)
        .map((e) => `  ${e.instanceLocation}: ${e.error}`)
        .join("\n");
      throw new Error(`${where}: body does not match the document\n${errors}\nbody: ${res.body.slice(0, 500)}`);
    }
  }
}
