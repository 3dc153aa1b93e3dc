/**
 * `GET /api/contracts/:id/download`: the stored bytes, streamed from R2, after an integrity
 * check. An object whose size or SHA-256 no longer matches the row is never served: 409
 * `integrity_failed`, logged as an error. The hash comes from R2's own checksum when the object
 * has one (a single-part upload, which R2 verified on `put`); otherwise the object is read once
 * through a SHA-256 stream (constant memory) before it is served.
 *
 * @module
 */
import { callerOf } from "../http/authenticate";
import { and, eq } from "drizzle-orm";
import { contracts } from "../db/schema";
import { AppError, notFound } from "../core/errors";
import { fromHex, toBase64, toHex } from "../core/crypto";
import type { HandlerContext, HandlerResult } from "../http/route";
import { visibleSql } from "./access";
import { bucketOf } from "./upload";

/** A byte range `[start, end]` (inclusive) of a document of `size` bytes. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * The single range a `Range` header asks for; null to serve the whole document (no header, a
 * unit other than bytes, or several ranges, which RFC 9110 lets a server ignore); 416 when
 * nothing of it lies inside the document.
 */
export function parseRange(header: string | null, size: number): ByteRange | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return null;
  const unsatisfiable = () =>
    new AppError(416, "range_not_satisfiable", `the document has ${size} bytes`, undefined, {
      "content-range": `bytes */${size}`,
    });
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0 || size === 0) throw unsatisfiable();
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) throw unsatisfiable();
  return { start, end };
}

const integrityFailed = () =>
  new AppError(409, "integrity_failed", "the stored document no longer matches its SHA-256; it is not served");

/** Hex SHA-256 of a stream, read through `crypto.DigestStream` (nothing held in memory). */
async function streamHash(body: ReadableStream<Uint8Array>): Promise<string> {
  const digest = new crypto.DigestStream("SHA-256");
  await body.pipeTo(digest);
  return toHex(new Uint8Array(await digest.digest));
}

/** `attachment` with an ASCII fallback and the exact UTF-8 name (RFC 6266 / 8187). */
function disposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** The download handler. */
export async function serveDocument(ctx: HandlerContext<undefined, undefined>): Promise<HandlerResult> {
  const bucket = bucketOf(ctx.env);
  const [[row]] = await ctx.read([
    ctx.db
      .select()
      .from(contracts)
      .where(and(eq(contracts.id, ctx.params.id ?? ""), eq(contracts.status, "stored"), visibleSql(callerOf(ctx)))),
  ]);
  if (!row?.hashSha256) throw notFound("document_not_found", "no such document");
  const expected = row.hashSha256;
  const refuse = (why: string, actual?: string) => {
    ctx.log("error", "legal hub: stored document failed its integrity check", {
      contractId: row.id,
      key: row.r2Key,
      why,
      expected,
      actual,
    });
    return integrityFailed();
  };
  const head = await bucket.head(row.r2Key);
  if (!head) throw refuse("object missing");
  if (head.size !== row.byteSize) throw refuse("size differs", String(head.size));
  const sum = head.checksums.sha256;
  if (sum) {
    const actual = toHex(new Uint8Array(sum));
    if (actual !== expected) throw refuse("R2 checksum differs", actual);
  } else {
    const whole = await bucket.get(row.r2Key, { onlyIf: { etagMatches: head.etag } });
    if (!whole || !("body" in whole)) throw refuse("object changed during the check");
    const actual = await streamHash(whole.body);
    if (actual !== expected) throw refuse("content hash differs", actual);
  }
  const range = parseRange(ctx.req.headers.get("range"), row.byteSize);
  // The object checked above, not one written since (etag).
  const obj = await bucket.get(row.r2Key, {
    onlyIf: { etagMatches: head.etag },
    ...(range ? { range: { offset: range.start, length: range.end - range.start + 1 } } : {}),
  });
  if (!obj || !("body" in obj)) throw refuse("object changed during the check");
  const length = range ? range.end - range.start + 1 : row.byteSize;
  const b64 = toBase64(fromHex(expected) ?? new Uint8Array(0));
  const headers: Record<string, string> = {
    "content-type": row.mimeType,
    "content-length": String(length),
    etag: `"${expected}"`,
    digest: `sha-256=${b64}`,
    "content-disposition": disposition(row.name),
    "accept-ranges": "bytes",
    "cache-control": "private, no-store",
    "x-content-type-options": "nosniff",
  };
  if (range) headers["content-range"] = `bytes ${range.start}-${range.end}/${row.byteSize}`;
  const body = ctx.req.method === "HEAD" ? null : obj.body;
  if (!body) await obj.body.cancel();
  return { body: null, raw: new Response(body, { status: range ? 206 : 200, headers }) };
}
