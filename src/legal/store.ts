/**
 * Streaming a document into R2 while hashing it. R2 needs a body of known length, and a multipart
 * part has none, so the bytes are cut into fixed-size parts: a document of one part is one `put`
 * (R2 verifies it against the SHA-256 computed on the way), a bigger one an R2 multipart upload of
 * equal parts. Memory stays at one part whatever the document's size or the cap.
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

/**
 * Streams `chunks` to `bucket` at `key`. `begin(type)` runs once the type is known and before
 * anything reaches R2 (the pending row); a refusal before that leaves nothing behind. On a
 * failure after it, the partial R2 state is removed here and the error rethrown.
 */
export async function storeStream(
  bucket: R2Bucket,
  key: string,
  chunks: AsyncIterable<Uint8Array>,
  opts: { maxBytes: number; declared: string | null; begin: (type: DocumentType) => Promise<void> },
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
  };

  try {
    for await (const view of chunks) {
      size += view.length;
      if (size > opts.maxBytes) throw fileTooLarge(opts.maxBytes);
      const chunk = view.slice();
      await hasher.write(chunk);
      buffered.push(chunk);
      bufferedBytes += chunk.length;
      if (type === null) {
        if (bufferedBytes >= SNIFF_BYTES) await decide();
      } else if (text && !(text as TextCheck).push(chunk)) throw notAllowed();
      while (bufferedBytes >= PART_BYTES + 1) {
        // Strictly more than a part: the last part is never empty.
        upload ??= await bucket.createMultipartUpload(key, { httpMetadata: { contentType: type ?? "text/plain" } });
        parts.push(await upload.uploadPart(parts.length + 1, take(buffered, PART_BYTES, true)));
        bufferedBytes -= PART_BYTES;
      }
    }
    if (size === 0) throw badRequest("empty_file", "the file is empty");
    if (type === null) await decide();
    if (text && !(text as TextCheck).end()) throw notAllowed();
    await hasher.close();
    const sha256 = toHex(new Uint8Array(await digest.digest));
    const rest = take(buffered, bufferedBytes, true);
    const finalType = type as unknown as DocumentType;
    if (upload) {
      const up = upload as R2MultipartUpload;
      parts.push(await up.uploadPart(parts.length + 1, rest));
      await up.complete(parts);
    } else {
      await bucket.put(key, rest, { httpMetadata: { contentType: finalType }, sha256 });
    }
    return { size, sha256, type: finalType };
  } catch (err) {
    await hasher.abort().catch(() => {});
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
