/**
 * Hand-built multipart bodies for the legal-hub upload tests: every byte under the test's control
 * (boundaries, part headers, what follows the file).
 */

/** A minimal PDF (its magic bytes are what the upload checks). */
export const PDF = new TextEncoder().encode("%PDF-1.7\n1 0 obj << >> endobj\ntrailer\n%%EOF\n");
/** The PNG signature and the start of an IHDR chunk. */
export const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82]);
export const BOUNDARY = "----legalhubtestboundary7MA4YWxkTrZu0gW";

/** One part: a text field or a file (with `filename` and an optional declared `type`). */
export type Part = { name: string; value: string | Uint8Array; filename?: string; type?: string };

/** A multipart body built by hand, so tests control every byte. */
export function multipart(parts: Part[]): Uint8Array {
  const enc = new TextEncoder();
  const chunks: Uint8Array[] = [];
  for (const p of parts) {
    let head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined) head += `; filename="${p.filename}"`;
    head += "\r\n";
    if (p.type) head += `Content-Type: ${p.type}\r\n`;
    chunks.push(enc.encode(`${head}\r\n`), typeof p.value === "string" ? enc.encode(p.value) : p.value, enc.encode("\r\n"));
  }
  chunks.push(enc.encode(`--${BOUNDARY}--\r\n`));
  return concat(chunks);
}

/** The bytes of `chunks`, one after the other. */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** `extra` fields, then the file part. */
export const fileParts = (bytes: Uint8Array, extra: Part[] = [], filename = "vertrag.pdf", type?: string): Part[] => [
  ...extra,
  { name: "file", value: bytes, filename, ...(type ? { type } : {}) },
];
