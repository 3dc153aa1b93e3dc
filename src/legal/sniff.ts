/**
 * What a document is, by its bytes rather than by what the client claims: PDF, PNG, JPEG by
 * their signatures; plain text when no signature matches and every byte so far is UTF-8 text
 * without control characters (tab, line feed, carriage return and form feed allowed). Text is
 * checked over the whole stream, so a binary file cannot pass by starting with letters.
 *
 * @module
 */

/** The content types the legal hub stores. */
export const DOCUMENT_TYPES = ["application/pdf", "image/png", "image/jpeg", "text/plain"] as const;
/** One of {@link DOCUMENT_TYPES}. */
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

/** Bytes needed to decide a signature. */
export const SNIFF_BYTES = 8;

const SIGNATURES: ReadonlyArray<[DocumentType, readonly number[]]> = [
  ["application/pdf", [0x25, 0x50, 0x44, 0x46, 0x2d]], // %PDF-
  ["image/png", [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  ["image/jpeg", [0xff, 0xd8, 0xff]],
];

/** The type of a document starting with `head` (at least {@link SNIFF_BYTES} bytes, or the whole file). */
export function sniff(head: Uint8Array): DocumentType | null {
  for (const [type, sig] of SIGNATURES) {
    if (head.length >= sig.length && sig.every((b, i) => head[i] === b)) return type;
  }
  return null;
}

/** Streaming check that every byte is UTF-8 text (see the module rule); feed chunks, then `end()`. */
export class TextCheck {
  private readonly decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  private ok = true;

  /** Feeds one chunk; false once the stream is not text. */
  push(chunk: Uint8Array): boolean {
    if (!this.ok) return false;
    for (const b of chunk) {
      const control = (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) || b === 0x7f;
      if (control) {
        this.ok = false;
        return false;
      }
    }
    try {
      this.decoder.decode(chunk, { stream: true });
    } catch {
      this.ok = false;
    }
    return this.ok;
  }

  /** True when the whole stream was text (a trailing incomplete UTF-8 sequence is not). */
  end(): boolean {
    if (!this.ok) return false;
    try {
      this.decoder.decode();
    } catch {
      this.ok = false;
    }
    return this.ok;
  }
}

/** The allowed type a client's declared part type names (`image/jpg` is JPEG), or null for none/octet-stream. */
export function declaredType(contentType: string | null): string | null {
  const t = contentType?.split(";")[0]?.trim().toLowerCase() ?? "";
  if (t === "" || t === "application/octet-stream") return null;
  return t === "image/jpg" ? "image/jpeg" : t;
}
