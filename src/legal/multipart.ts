/**
 * A streaming `multipart/form-data` reader: parts come one at a time, and a part's bytes are
 * handed on as they arrive, so a document is never held whole in memory (workerd's `formData()`
 * buffers the entire body). Only what an upload needs: `Content-Disposition` name and filename,
 * `Content-Type`; a header block, the number of parts and a text field's size are capped.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { badRequest } from "../core/errors";

/** One part's headers. Its bytes follow through {@link MultipartReader.body}. */
export interface PartHead {
  name: string;
  filename: string | null;
  contentType: string | null;
}

const MAX_HEADER_BYTES = 8 * 1024;
const MAX_PARTS = 16;
/**
 * A byte stream is read in pieces of this many bytes (fewer at its end). The buffer of a read is
 * no bigger: `readAtLeast` answers as soon as it has this much, so room beyond it was allocated
 * (and zeroed) for nothing.
 */
const READ_AT_LEAST = 256 * 1024;
/** Transport padding (spaces, tabs) allowed after a boundary. */
const MAX_PADDING = 64;
const CRLF = new Uint8Array([13, 10]);
const HEADER_END = new Uint8Array([13, 10, 13, 10]);

const malformed = (why: string) => badRequest("invalid_multipart", `malformed multipart body: ${why}`);

/** The boundary of a `multipart/form-data` content type, or null when the type is anything else. */
export function boundaryOf(contentType: string | null): string | null {
  if (!contentType) return null;
  const [type, ...params] = contentType.split(";");
  if (type?.trim().toLowerCase() !== "multipart/form-data") return null;
  for (const p of params) {
    const i = p.indexOf("=");
    if (i < 0 || p.slice(0, i).trim().toLowerCase() !== "boundary") continue;
    let v = p.slice(i + 1).trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1);
    // RFC 2046: 1–70 characters.
    return v.length >= 1 && v.length <= 70 ? v : null;
  }
  return null;
}

/**
 * First index of `needle` in `hay` at or after `from`, or -1. The runtime's native substring
 * search over a view of the same bytes (no copy): every byte of an upload is scanned for the
 * boundary, and a search in JavaScript took about four times as long.
 */
export function indexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  return Buffer.from(hay.buffer, hay.byteOffset, hay.length).indexOf(needle, from);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Reads parts in order; each part's body must be read (or skipped) before the next head. */
export class MultipartReader {
  // The bytes received and not handed on yet; never more than one network chunk plus a delimiter.
  private buf: Uint8Array;
  private ended = false;
  private finished = false;
  private parts = 0;
  // Bytes pulled from the stream, plus the two the first delimiter is pretended to have.
  private pulled = 2;
  private readonly delimiter: Uint8Array;

  /** Reads the next piece and returns it joined behind `tail` (the bytes not handed on yet). */
  private readonly read: (tail: Uint8Array) => Promise<{ done: boolean; joined: Uint8Array; added: number }>;
  private readonly stop: () => Promise<void>;

  /**
   * Reads `stream`. A byte stream (a request body) is read in large pieces with `readAtLeast`:
   * every piece costs a few promise turns on its way through parser, hash and R2, so a 10 MiB
   * upload in 256 KiB pieces instead of the network's small chunks spends far less time in them.
   */
  constructor(stream: ReadableStream<Uint8Array>, boundary: string) {
    this.delimiter = new TextEncoder().encode(`\r\n--${boundary}`);
    // The first delimiter has no CRLF before it: pretend it has, so every delimiter looks the same.
    this.buf = CRLF;
    let byob: ReadableStreamBYOBReader | null = null;
    try {
      byob = stream.getReader({ mode: "byob" });
    } catch {
      // Not a byte stream: chunks as they come.
    }
    if (byob && typeof byob.readAtLeast === "function") {
      const reader = byob;
      // Into a fresh buffer behind a copy of the tail (at most a delimiter, or a header block in
      // the making), so the piece is never copied again to join it. Fresh, not reused: chunks
      // handed on earlier stay valid.
      this.read = async (tail) => {
        const target = new Uint8Array(tail.length + READ_AT_LEAST);
        target.set(tail, 0);
        const { done, value } = await reader.readAtLeast(READ_AT_LEAST, target.subarray(tail.length));
        const added = value?.length ?? 0;
        return { done, added, joined: added > 0 ? new Uint8Array((value as Uint8Array).buffer, 0, tail.length + added) : tail };
      };
      this.stop = () => reader.cancel();
    } else {
      const reader = stream.getReader();
      this.read = async (tail) => {
        const { done, value } = await reader.read();
        const added = value?.length ?? 0;
        return { done, added, joined: added > 0 ? concat(tail, value as Uint8Array) : tail };
      };
      this.stop = () => reader.cancel();
    }
  }

  /** Pulls one more chunk into the buffer; false at the end of the stream. */
  private async pull(): Promise<boolean> {
    if (this.ended) return false;
    const { done, joined, added } = await this.read(this.buf);
    if (done) this.ended = true;
    if (added === 0) {
      this.ended = true;
      return false;
    }
    this.pulled += added;
    this.buf = joined;
    return true;
  }

  /** Stops reading the request (a refusal before the end, or a failure). */
  async cancel(): Promise<void> {
    this.ended = true;
    try {
      await this.stop();
    } catch {
      // The client is gone already: nothing left to cancel.
    }
  }

  /** Skips the preamble up to the first delimiter. */
  private async start(): Promise<void> {
    for (;;) {
      const i = indexOf(this.buf, this.delimiter);
      if (i >= 0) {
        this.buf = this.buf.subarray(i + this.delimiter.length);
        return this.afterDelimiter();
      }
      if (this.buf.length > MAX_HEADER_BYTES) throw malformed("no boundary at the start");
      if (!(await this.pull())) throw malformed("no boundary");
    }
  }

  /** After a delimiter: `--` ends the body, CRLF starts a part. */
  private async afterDelimiter(): Promise<void> {
    while (this.buf.length < 2) if (!(await this.pull())) throw malformed("truncated after a boundary");
    if (this.buf[0] === 45 && this.buf[1] === 45) {
      this.finished = true;
      this.buf = new Uint8Array(0);
      return;
    }
    // Transport padding (spaces, tabs) may precede the CRLF.
    let i = 0;
    for (;;) {
      while (i + 1 >= this.buf.length) if (!(await this.pull())) throw malformed("truncated after a boundary");
      const b = this.buf[i];
      if (b === 32 || b === 9) {
        if (++i > MAX_PADDING) throw malformed("too much padding after a boundary");
        continue;
      }
      if (b === 13 && this.buf[i + 1] === 10) break;
      throw malformed("garbage after a boundary");
    }
    this.buf = this.buf.subarray(i + 2);
  }

  /** The next part's headers, or null after the closing delimiter. */
  async next(): Promise<PartHead | null> {
    if (this.parts === 0) await this.start();
    if (this.finished) return null;
    if (++this.parts > MAX_PARTS) throw malformed(`more than ${MAX_PARTS} parts`);
    let end = indexOf(this.buf, HEADER_END);
    while (end < 0) {
      if (this.buf.length > MAX_HEADER_BYTES) throw malformed("part headers too large");
      if (!(await this.pull())) throw malformed("truncated part headers");
      end = indexOf(this.buf, HEADER_END);
    }
    if (end > MAX_HEADER_BYTES) throw malformed("part headers too large");
    const text = new TextDecoder().decode(this.buf.subarray(0, end));
    this.buf = this.buf.subarray(end + HEADER_END.length);
    return parseHead(text);
  }

  /**
   * A proven lower bound of the current part's size, from the body's total length `total`
   * (`Content-Length`): what is left of the body minus the most that may follow the part within
   * this reader's limits (the remaining parts with headers and `fieldBytes` of text each, their
   * delimiters, and `epilogueBytes` after the closing one). Call it right after {@link next}.
   */
  minBodyBytes(total: number, fieldBytes: number, epilogueBytes: number): number {
    const delimiter = this.delimiter.length + MAX_PADDING + 2;
    const perPart = delimiter + MAX_HEADER_BYTES + HEADER_END.length + fieldBytes;
    const after = (MAX_PARTS - this.parts) * perPart + delimiter + 2 + epilogueBytes;
    return total - (this.pulled - this.buf.length) - after;
  }

  /**
   * The current part's bytes, chunk by chunk, up to its closing delimiter (consumed). A chunk is a
   * view into a buffer the reader never writes again, so it stays valid after the next one.
   */
  async *body(): AsyncGenerator<Uint8Array> {
    const keep = this.delimiter.length - 1;
    for (;;) {
      const i = indexOf(this.buf, this.delimiter);
      if (i >= 0) {
        const last = this.buf.subarray(0, i);
        this.buf = this.buf.subarray(i + this.delimiter.length);
        if (last.length > 0) yield last;
        await this.afterDelimiter();
        return;
      }
      // Everything but a tail that could be the start of a delimiter can go on now.
      if (this.buf.length > keep) {
        const out = this.buf.subarray(0, this.buf.length - keep);
        this.buf = this.buf.subarray(this.buf.length - keep);
        yield out;
      }
      if (!(await this.pull())) throw malformed("truncated part");
    }
  }

  /** The current part as text of at most `max` bytes (a form field); 400 beyond. */
  async text(max: number, name: string): Promise<string> {
    let out: Uint8Array = new Uint8Array(0);
    for await (const chunk of this.body()) {
      if (out.length + chunk.length > max) throw badRequest("validation_failed", `field ${name} exceeds ${max} bytes`);
      out = concat(out, chunk.slice());
    }
    try {
      return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(out);
    } catch {
      throw badRequest("invalid_encoding", `field ${name} is not valid UTF-8`);
    }
  }
}

/** Parses a part's header block (name, filename, content type). */
function parseHead(text: string): PartHead {
  let name: string | null = null;
  let filename: string | null = null;
  let contentType: string | null = null;
  for (const line of text.split("\r\n")) {
    const i = line.indexOf(":");
    if (i < 0) continue;
    const key = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    if (key === "content-type") contentType = value.toLowerCase();
    if (key !== "content-disposition") continue;
    const params = dispositionParams(value);
    name = params.get("name") ?? null;
    filename = params.get("filename") ?? null;
  }
  if (name === null) throw malformed("a part without a name");
  return { name, filename, contentType };
}

/** `form-data; name="a"; filename="b.pdf"` → its parameters (quoted strings with `\"` escapes). */
function dispositionParams(value: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /;\s*([A-Za-z0-9_*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (const m of value.matchAll(re)) {
    const key = (m[1] ?? "").toLowerCase();
    const raw = m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : (m[3] ?? "").trim();
    out.set(key, raw);
  }
  return out;
}
