/**
 * Streaming a document into R2 while hashing it. R2 needs a body of known length, and a multipart
 * part has none, so the bytes go to R2 in one of two ways, memory staying bounded either way:
 *
 * - When the request's `Content-Length` proves the file has at least `minBytes` ≥ {@link PART_BYTES}
 *   bytes (see `MultipartReader.minBodyBytes`), those bytes stream live into the first part of an
 *   R2 multipart upload while they arrive — receiving, hashing and writing overlap — and the few
 *   bytes beyond (at most the envelope's slack) become a small last part.
 * - Otherwise the bytes are cut into fixed-size parts: a document of one part is one `put` (R2
 *   verifies it against the SHA-256 computed on the way), a bigger one a multipart upload of equal
 *   parts, each buffered.
 *
 * @module
 */
import { AppError, badRequest } from "../core/errors";
import { toHex } from "../core/crypto";
import { type DocumentType, SNIFF_BYTES, TextCheck, declaredType, sniff } from "./sniff";

/** Size of an R2 part: R2's minimum for every part but the last, all of which must be equal. */
export const PART_BYTES = 5 * 1024 * 1024;

/** What was stored. */
export interface Stored {
  size: number;
  sha256: string;
  type: DocumentType;
}

/** 413 `file_too_large`. */
export const fileTooLarge = (max: number) => new AppError(413, "file_too_large", `file exceeds ${max} bytes`, { maxBytes: max });

/** Options of {@link storeStream}. */
export interface StoreOptions {
  maxBytes: number;
  /** The part's declared `Content-Type` (checked against the bytes). */
  declared: string | null;
  /** Runs once the type is known and before anything reaches R2 (the pending row). */
  begin: (type: DocumentType) => Promise<void>;
  /** A proven lower bound of the file's size (from `Content-Length`), or null when unknown. */
  minBytes: number | null;
}

/**
 * Streams `chunks` to `bucket` at `key`. A refusal before `begin` leaves nothing behind; on a
 * failure after it, the partial R2 state is removed here and the error rethrown.
 */
export async function storeStream(
  bucket: R2Bucket,
  key: string,
  chunks: AsyncIterable<Uint8Array>,
  opts: StoreOptions,
): Promise<Stored> {
  const digest = new crypto.DigestStream("SHA-256");
  const hasher = digest.getWriter();
  // Rejects when a refusal aborts the hash; that rejection is expected and must not go unhandled.
  digest.digest.catch(() => {});
  const buffered: Uint8Array[] = [];
  let bufferedBytes = 0;
  let size = 0;
  let type: DocumentType | null = null;
  let text: TextCheck | null = null;
  let upload: R2MultipartUpload | null = null;
  const parts: R2UploadedPart[] = [];
  // The live first part: its exact length, the bytes written so far, its writer and R2's answer.
  const liveBytes = opts.minBytes !== null && opts.minBytes >= PART_BYTES ? Math.min(opts.minBytes, opts.maxBytes) : null;
  let live: { writer: WritableStreamDefaultWriter<Uint8Array>; written: number; part: Promise<R2UploadedPart> } | null = null;

  const decide = async () => {
    const head = take(buffered, Math.min(SNIFF_BYTES, bufferedBytes), false);
    type = sniff(head) ?? "text/plain";
    if (type === "text/plain") {
      text = new TextCheck();
      for (const b of buffered) if (!text.push(b)) throw notAllowed();
    }
    const claimed = declaredType(opts.declared);
    if (claimed !== null && claimed !== type) {
      throw new AppError(415, "content_type_mismatch", `the file's bytes are ${type}, not ${claimed}`, {
        detected: type,
        declared: claimed,
      });
    }
    await opts.begin(type);
    if (liveBytes !== null) {
      upload = await bucket.createMultipartUpload(key, { httpMetadata: { contentType: type } });
      const stream = new FixedLengthStream(liveBytes);
      const part = (upload as R2MultipartUpload).uploadPart(1, stream.readable);
      // Awaited below; a refusal in between must not surface as an unhandled rejection.
      part.catch(() => {});
      const writer = stream.writable.getWriter();
      writer.closed.catch(() => {});
      live = { writer, written: 0, part };
      const waiting = buffered.splice(0);
      bufferedBytes = 0;
      for (const c of waiting) await feedLive(c);
    }
  };

  /** Writes a chunk into the live part up to its length; the rest waits for the last part. */
  const feedLive = async (chunk: Uint8Array) => {
    const l = live as NonNullable<typeof live>;
    const room = (liveBytes as number) - l.written;
    const now = chunk.subarray(0, room);
    if (now.length > 0) {
      // Awaited until R2 has taken the piece: the stream's `ready` does not wait for that, and
      // without it a client faster than R2 would pile the whole file up in memory.
      await l.writer.write(now);
      l.written += now.length;
      if (l.written === liveBytes) await l.writer.close();
    }
    if (chunk.length > now.length) {
      buffered.push(chunk.subarray(now.length));
      bufferedBytes += chunk.length - now.length;
    }
  };

  try {
    // Each chunk stays valid after the next one is read (the multipart reader's promise), so the
    // bytes are kept and written as they are, not copied.
    for await (const chunk of chunks) {
      size += chunk.length;
      if (size > opts.maxBytes) throw fileTooLarge(opts.maxBytes);
      // The hash and the R2 write of a chunk run side by side; both finish before the next read.
      const hashed = hasher.write(chunk);
      hashed.catch(() => {});
      if (type !== null && text && !(text as TextCheck).push(chunk)) throw notAllowed();
      if (live) await feedLive(chunk);
      await hashed;
      if (live) continue;
      buffered.push(chunk);
      bufferedBytes += chunk.length;
      if (type === null) {
        if (bufferedBytes >= SNIFF_BYTES) await decide();
        continue;
      }
      while (liveBytes === null && bufferedBytes >= PART_BYTES + 1) {
        // Strictly more than a part: the last part is never empty.
        upload ??= await bucket.createMultipartUpload(key, { httpMetadata: { contentType: type ?? "text/plain" } });
        parts.push(await upload.uploadPart(parts.length + 1, take(buffered, PART_BYTES, true)));
        bufferedBytes -= PART_BYTES;
      }
    }
    if (size === 0) throw badRequest("empty_file", "the file is empty");
    if (type === null) await decide();
    if (text && !(text as TextCheck).end()) throw notAllowed();
    if (liveBytes !== null && size < liveBytes) {
      // Content-Length promised more file bytes than came: what followed the file was bigger than
      // the envelope may be (an epilogue), so the live part cannot be completed.
      throw badRequest("invalid_multipart", "malformed multipart body: too many bytes after the file part");
    }
    await hasher.close();
    const sha256 = toHex(new Uint8Array(await digest.digest));
    const rest = take(buffered, bufferedBytes, true);
    const finalType = type as unknown as DocumentType;
    // Assigned inside `decide`, which the compiler's narrowing does not follow.
    const livePart = (live as { part: Promise<R2UploadedPart> } | null)?.part;
    if (livePart) parts.push(await livePart);
    if (upload) {
      const up = upload as R2MultipartUpload;
      if (rest.length > 0) parts.push(await up.uploadPart(parts.length + 1, rest));
      await up.complete(parts);
    } else {
      await bucket.put(key, rest, { httpMetadata: { contentType: finalType }, sha256 });
    }
    return { size, sha256, type: finalType };
  } catch (err) {
    await hasher.abort().catch(() => {});
    const ended = live as { writer: WritableStreamDefaultWriter<Uint8Array>; part: Promise<unknown> } | null;
    if (ended) {
      await ended.writer.abort(err).catch(() => {});
      // The part's upload fails with the aborted stream; wait for it before aborting the upload.
      await ended.part.catch(() => {});
    }
    if (upload) await (upload as R2MultipartUpload).abort().catch(() => {});
    throw err;
  }
}

const notAllowed = () =>
  new AppError(415, "unsupported_media_type", "only PDF, PNG, JPEG and plain UTF-8 text documents are accepted");

/** The first `n` bytes of `chunks` as one array; with `consume`, removed from `chunks`. */
function take(chunks: Uint8Array[], n: number, consume: boolean): Uint8Array {
  const out = new Uint8Array(n);
  let at = 0;
  let whole = 0;
  for (let i = 0; at < n; i++) {
    const c = chunks[i] as Uint8Array;
    const k = Math.min(c.length, n - at);
    out.set(c.subarray(0, k), at);
    at += k;
    if (k === c.length) whole++;
    else if (consume) chunks[i] = c.subarray(k);
  }
  if (consume) chunks.splice(0, whole);
  return out;
}
