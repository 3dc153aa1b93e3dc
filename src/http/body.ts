/**
 * Reading request bodies with a hard size cap, before anything parses them.
 *
 * Hand-written rather than hono's body limit: that step re-wraps the request after reading a
 * streamed body (workerd refuses to rebuild a request around a locked stream) and trusts a
 * declared Content-Length; this reader refuses a declared oversize body unread, keeps the cap
 * whatever the headers claim (chunked, or a Content-Length that lies) and decodes strictly
 * (UTF-8, no lone surrogates).
 *
 * @module
 */
import type { Step } from "./context";
import { AppError, badRequest } from "../core/errors";

/** Largest accepted JSON body. Every API body is far smaller; anything bigger is refused unread. */
export const MAX_BODY_BYTES = 32 * 1024;

const tooLarge = () => new AppError(413, "body_too_large", `request body exceeds ${MAX_BODY_BYTES} bytes`);

/** Reads at most `MAX_BODY_BYTES` of the body (streaming, so a lying Content-Length cannot help). */
export async function readBodyText(req: Request): Promise<string> {
  const declared = Number(req.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) throw tooLarge();
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    all.set(c, offset);
    offset += c.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(all);
  } catch {
    throw badRequest("invalid_encoding", "request body is not valid UTF-8");
  }
}

/** A UTF-16 surrogate without its partner: valid JSON (`"\\ud800"`), but not text we store. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Parses a JSON body; an empty body counts as `{}` so validation can name the missing fields.
 * Strings (values and keys) must be well-formed Unicode.
 */
export function parseJson(text: string): unknown {
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw badRequest("invalid_json", "invalid JSON body");
  }
  if (hasLoneSurrogate(parsed)) {
    throw badRequest("invalid_encoding", "strings must be well-formed Unicode (no lone surrogates)");
  }
  return parsed;
}

/** Walks the value with an explicit stack: deeply nested input cannot overflow the call stack. */
function hasLoneSurrogate(root: unknown): boolean {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === "string") {
      if (LONE_SURROGATE.test(v)) return true;
    } else if (Array.isArray(v)) {
      stack.push(...v);
    } else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (LONE_SURROGATE.test(k)) return true;
        stack.push(x);
      }
    }
  }
  return false;
}

/** The body step: the capped read, then the JSON parse into `rawBody` (validated later). */
export const jsonBody: Step = async (c, next) => {
  c.set("rawBody", parseJson(await readBodyText(c.req.raw)));
  await next();
};
