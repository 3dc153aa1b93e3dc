/**
 * The streaming multipart reader and the document sniffing: any split of the body into network
 * chunks yields the same parts and bytes (a delimiter cut across chunks included), and malformed
 * bodies are refused; magic bytes and the streaming text check.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MultipartReader, boundaryOf, indexOf } from "../../src/legal/multipart";
import { TextCheck, declaredType, sniff } from "../../src/legal/sniff";
import { concat } from "../support/multipart";
import { check } from "./seed";

const enc = new TextEncoder();
const BOUNDARY = "xYzBoundary";

function body(parts: Array<{ name: string; filename?: string; bytes: Uint8Array }>): Uint8Array {
  const chunks: Uint8Array[] = [enc.encode("preamble to ignore\r\n")];
  for (const p of parts) {
    const fn = p.filename !== undefined ? `; filename="${p.filename}"` : "";
    chunks.push(
      enc.encode(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${p.name}"${fn}\r\n\r\n`),
      p.bytes,
      enc.encode("\r\n"),
    );
  }
  chunks.push(enc.encode(`--${BOUNDARY}--\r\n`));
  return concat(chunks);
}

/** A stream delivering `bytes` cut at `cuts`; with `byte`, a byte stream (read with BYOB, as a request body). */
function streamOf(bytes: Uint8Array, cuts: number[], byte = false): ReadableStream<Uint8Array> {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    if (p > prev) pieces.push(bytes.slice(prev, p));
    prev = Math.max(prev, p);
  }
  if (byte) {
    return new ReadableStream({
      type: "bytes",
      pull(controller) {
        const next = pieces.shift();
        if (next) controller.enqueue(next);
        else {
          controller.close();
          controller.byobRequest?.respond(0);
        }
      },
    }) as ReadableStream<Uint8Array>;
  }
  return new ReadableStream({
    pull(controller) {
      const next = pieces.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
}

async function readAll(stream: ReadableStream<Uint8Array>) {
  const mp = new MultipartReader(stream, BOUNDARY);
  const out: Array<{ name: string; filename: string | null; bytes: number[] }> = [];
  for (let p = await mp.next(); p; p = await mp.next()) {
    // The chunks are kept as handed out and read only after the part's end: each must stay valid
    // after the next one is read (the store keeps them without copying).
    const kept: Uint8Array[] = [];
    for await (const c of mp.body()) kept.push(c);
    out.push({ name: p.name, filename: p.filename, bytes: kept.flatMap((c) => [...c]) });
  }
  return out;
}

describe("MultipartReader", () => {
  it.each([
    ["a stream of chunks", false],
    ["a byte stream", true],
  ])("yields the same parts for every chunking of %s, even with delimiter-like bytes in the file", async (_, byte) => {
    // Bytes that start the delimiter without completing it, next to the real one.
    const tricky = enc.encode(`a\r\n--${BOUNDARY.slice(0, 5)}b\r\n-\r\n--x`);
    await check(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 40 }), async (file, cuts) => {
        const bytes = new Uint8Array([...file, ...tricky]);
        const src = body([
          { name: "name", bytes: enc.encode("Vertrag") },
          { name: "file", filename: "a.pdf", bytes },
        ]);
        const parts = await readAll(streamOf(src, cuts, byte));
        expect(parts).toEqual([
          { name: "name", filename: null, bytes: [...enc.encode("Vertrag")] },
          { name: "file", filename: "a.pdf", bytes: [...bytes] },
        ]);
      }),
      { numRuns: 200 },
    );
  });

  it("reads a file bigger than one read of a byte stream across many reads, its chunks intact", async () => {
    // 1.3 MiB: several reads of at least 256 KiB each, delimiter-like bytes at every 4 KiB.
    const file = new Uint8Array(1_300_000);
    for (let i = 0; i < file.length; i++) file[i] = (i * 131 + 17) & 0xff;
    const tricky = enc.encode(`\r\n--${BOUNDARY.slice(0, 7)}`);
    for (let at = 4096; at + tricky.length < file.length; at += 4096) file.set(tricky, at - 3);
    const src = body([
      { name: "name", bytes: enc.encode("Vertrag") },
      { name: "file", filename: "big.pdf", bytes: file },
    ]);
    const cuts = Array.from({ length: 40 }, (_, i) => i * 33_331);
    const mp = new MultipartReader(streamOf(src, cuts, true), BOUNDARY);
    expect((await mp.next())?.name).toBe("name");
    expect(await mp.text(100, "name")).toBe("Vertrag");
    expect((await mp.next())?.filename).toBe("big.pdf");
    const kept: Uint8Array[] = [];
    for await (const c of mp.body()) kept.push(c);
    expect(kept.length).toBeGreaterThan(3);
    const got = new Uint8Array(kept.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of kept) {
      got.set(c, at);
      at += c.length;
    }
    expect(got).toEqual(file);
    expect(await mp.next()).toBeNull();
  });

  it("finds a needle where a naive search does, in a view at an offset and from any start", () => {
    const naive = (hay: Uint8Array, needle: Uint8Array, from: number) => {
      outer: for (let i = from; i + needle.length <= hay.length; i++) {
        for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
        return i;
      }
      return -1;
    };
    const byte = fc.integer({ min: 0, max: 2 });
    fc.assert(
      fc.property(
        fc.array(byte, { maxLength: 60 }),
        fc.array(byte, { minLength: 1, maxLength: 4 }),
        fc.nat(10),
        fc.nat(70),
        (all, n, skip, from) => {
          // A view into a larger buffer, as the reader's pieces are.
          const hay = new Uint8Array(all).subarray(Math.min(skip, all.length));
          const needle = new Uint8Array(n);
          expect(indexOf(hay, needle, from)).toBe(naive(hay, needle, from));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("refuses a body cut short, and a body without the boundary", async () => {
    const src = body([{ name: "file", filename: "a", bytes: enc.encode("hello") }]);
    await expect(readAll(streamOf(src.slice(0, src.length - 12), []))).rejects.toMatchObject({ code: "invalid_multipart" });
    await expect(readAll(streamOf(enc.encode("no boundary here"), []))).rejects.toMatchObject({ code: "invalid_multipart" });
  });

  it("reads the boundary of a multipart/form-data content type only", () => {
    expect(boundaryOf('multipart/form-data; boundary="abc def"')).toBe("abc def");
    expect(boundaryOf("multipart/form-data; charset=utf-8; boundary=xyz")).toBe("xyz");
    expect(boundaryOf("multipart/mixed; boundary=xyz")).toBeNull();
    expect(boundaryOf("multipart/form-data")).toBeNull();
    expect(boundaryOf(`multipart/form-data; boundary=${"a".repeat(71)}`)).toBeNull();
  });
});

describe("sniff and TextCheck", () => {
  it("tells PDF, PNG and JPEG by their signatures, nothing else", () => {
    expect(sniff(enc.encode("%PDF-1.7"))).toBe("application/pdf");
    expect(sniff(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe("image/png");
    expect(sniff(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe("image/jpeg");
    expect(sniff(new Uint8Array([0x89, 0x50, 0x4e, 0x47]))).toBeNull();
    expect(sniff(enc.encode("%PDF"))).toBeNull();
  });

  it("accepts UTF-8 text split anywhere, refuses control bytes and broken UTF-8", () => {
    const text = enc.encode("Grüße\tvom Notar\r\n€");
    for (let cut = 0; cut <= text.length; cut++) {
      const t = new TextCheck();
      expect(t.push(text.subarray(0, cut)) && t.push(text.subarray(cut)) && t.end()).toBe(true);
    }
    const nul = new TextCheck();
    expect(nul.push(new Uint8Array([0x61, 0x00]))).toBe(false);
    const cut = new TextCheck();
    expect(cut.push(text.subarray(0, text.length - 1))).toBe(true);
    expect(cut.end()).toBe(false);
  });

  it("normalizes a declared type (parameters dropped, octet-stream means none)", () => {
    expect(declaredType("text/plain; charset=utf-8")).toBe("text/plain");
    expect(declaredType("application/octet-stream")).toBeNull();
    expect(declaredType(null)).toBeNull();
    expect(declaredType("image/jpg")).toBe("image/jpeg");
  });
});
