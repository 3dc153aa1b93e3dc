/**
 * Legal hub: multipart uploads streamed into R2 (size cap, magic bytes, hash, nothing left behind
 * by a refusal or a client that goes away), lists and downloads limited to who may see a
 * document, integrity and range requests, links.
 */
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { checkContract, issueVoucher, login, testEnv } from "../support/client";
import { BOUNDARY, PDF, PNG, fileParts, multipart } from "../support/multipart";
import { type Who, count, get, row, rows } from "../support/voucher-kit";

const UPLOAD = "/api/contracts/upload";
async function upload(
  who: Who | null,
  body: Uint8Array | ReadableStream,
  e: Env = testEnv,
  headers: Record<string, string> = {},
) {
  const res = await app.request(
    `http://localhost${UPLOAD}`,
    {
      method: "POST",
      headers: {
        "content-type": `multipart/form-data; boundary=${BOUNDARY}`,
        ...(who ? { authorization: `Bearer ${who.session}` } : {}),
        ...headers,
      },
      body,
    },
    e,
  );
  await checkContract("POST", UPLOAD, res);
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

async function download(who: Who, id: string, headers: Record<string, string> = {}) {
  const path = `/api/contracts/${id}/download`;
  return app.request(`http://localhost${path}`, { headers: { authorization: `Bearer ${who.session}`, ...headers } }, testEnv);
}

async function objectKeys(): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await testEnv.CONTRACTS.list({ prefix: "contracts/", ...(cursor ? { cursor } : {}) });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return keys;
}

/** Nothing of `uid`'s failed uploads remains: no row, no object. */
async function nothingLeftBy(uid: string, keysBefore: string[]) {
  expect(await count("contracts", "created_by = ?", uid)).toBe(0);
  expect((await objectKeys()).filter((k) => !keysBefore.includes(k))).toEqual([]);
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const capped = (max: number) => ({ ...testEnv, CONTRACT_MAX_BYTES: String(max) }) as Env;

describe("POST /api/contracts/upload", () => {
  it("stores a PDF: row stored with the streamed SHA-256, the R2 object, one event; the original's shape plus downloadUrl", async () => {
    const a = await login();
    const res = await upload(a, multipart(fileParts(PDF, [{ name: "name", value: "Kaufvertrag" }])));
    expect(res.status).toBe(200);
    const c = res.body.contract;
    expect(c).toMatchObject({
      name: "Kaufvertrag",
      mimeType: "application/pdf",
      byteSize: PDF.length,
      hashSha256: await sha256Hex(PDF),
      createdBy: a.uid,
      downloadUrl: `/api/contracts/${c.id}/download`,
    });
    expect(c.storageUrl).toBe(`contracts/${c.id}/vertrag.pdf`);
    expect(res.body.linkId).toBeNull();
    const stored = await row("SELECT * FROM contracts WHERE id = ?", c.id);
    expect(stored?.status).toBe("stored");
    const obj = await testEnv.CONTRACTS.get(c.storageUrl);
    expect(new Uint8Array(await (obj as R2ObjectBody).arrayBuffer())).toEqual(PDF);
    expect(await count("events", "type = 'contract.upload' AND subject_id = ?", c.id)).toBe(1);
  });

  it("0 bytes → 400 empty_file, nothing stored", async () => {
    const a = await login();
    const before = await objectKeys();
    const res = await upload(a, multipart(fileParts(new Uint8Array(0))));
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("empty_file");
    await nothingLeftBy(a.uid, before);
  });

  it("exactly the cap is stored; cap + 1 → 413 file_too_large with nothing left behind", async () => {
    const a = await login();
    const max = 4096;
    const exact = new Uint8Array(max).fill(0x61);
    const ok = await upload(a, multipart(fileParts(exact, [], "a.txt", "text/plain")), capped(max));
    expect(ok.status).toBe(200);
    expect(ok.body.contract.byteSize).toBe(max);
    const b = await login();
    const before = await objectKeys();
    const over = await upload(b, multipart(fileParts(new Uint8Array(max + 1).fill(0x61), [], "a.txt")), capped(max));
    expect(over.status).toBe(413);
    expect(over.body.code).toBe("file_too_large");
    await nothingLeftBy(b.uid, before);
  });

  it("a declared Content-Length far beyond the cap is refused before the body is read", async () => {
    const a = await login();
    const body = multipart(fileParts(PDF));
    const res = await upload(a, body, capped(16), {});
    expect(res.status).toBe(413);
  });

  it("bytes that are none of the allowed types → 415; a declared type the bytes contradict → 415 content_type_mismatch", async () => {
    const a = await login();
    const before = await objectKeys();
    const binary = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0]); // ELF
    const res = await upload(a, multipart(fileParts(binary, [], "x.pdf", "application/pdf")));
    expect(res.status).toBe(415);
    expect(res.body.code).toBe("unsupported_media_type");
    const lie = await upload(a, multipart(fileParts(PNG, [], "x.pdf", "application/pdf")));
    expect(lie.status).toBe(415);
    expect(lie.body.code).toBe("content_type_mismatch");
    // Text that turns binary after the first part of the stream is refused too.
    const late = new Uint8Array(10_000).fill(0x61);
    late[9_000] = 0;
    const lateRes = await upload(a, multipart(fileParts(late, [], "x.txt")));
    expect(lateRes.status).toBe(415);
    await nothingLeftBy(a.uid, before);
  });

  it("a client that goes away mid-upload leaves neither row nor object", async () => {
    const a = await login();
    const before = await objectKeys();
    const head = multipart(fileParts(new Uint8Array(64 * 1024).fill(0x62), [], "big.txt"));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(head.subarray(0, 40 * 1024));
        controller.error(new Error("client went away"));
      },
    });
    await upload(a, stream).catch(() => undefined);
    await nothingLeftBy(a.uid, before);
  });

  it("an ended session or a caller over the write limit is refused before a byte reaches R2, leaving nothing behind", async () => {
    // The checks ride in the batch that writes the pending row; their refusal removes the row again.
    const a = await login();
    const before = await objectKeys();
    const out = await app.request(
      "http://localhost/api/presence/logout",
      { method: "POST", headers: { authorization: `Bearer ${a.session}` } },
      testEnv,
    );
    expect(out.status).toBe(200);
    const ended = await upload(a, multipart(fileParts(PDF)));
    expect(ended.status).toBe(401);
    await nothingLeftBy(a.uid, before);

    const b = await login();
    const limited = { ...testEnv, RATE_LIMIT_WRITE_PER_MIN: "1" } as Env;
    expect((await upload(b, multipart(fileParts(PDF)), limited)).status).toBe(200);
    const keysAfterFirst = await objectKeys();
    const over = await upload(b, multipart(fileParts(PDF)), limited);
    expect(over.status).toBe(429);
    expect(over.body.code).toBe("rate_limited");
    expect(await count("contracts", "created_by = ?", b.uid)).toBe(1);
    expect(await objectKeys()).toEqual(keysAfterFirst);
  });

  it("refuses a body that is not multipart, a missing file, unknown fields and an actorId that is not the caller", async () => {
    const a = await login();
    const notMp = await app.request(
      `http://localhost${UPLOAD}`,
      { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${a.session}` }, body: "{}" },
      testEnv,
    );
    expect(notMp.status).toBe(400);
    expect(((await notMp.json()) as any).code).toBe("expected_multipart");
    expect((await upload(a, multipart([{ name: "name", value: "x" }]))).body.code).toBe("file_required");
    expect((await upload(a, multipart(fileParts(PDF, [{ name: "evil", value: "1" }])))).body.code).toBe("validation_failed");
    const other = await upload(a, multipart(fileParts(PDF, [{ name: "actorId", value: "someone-else" }])));
    expect(other.status).toBe(403);
    expect(other.body.code).toBe("uid_mismatch");
    expect((await upload(a, multipart(fileParts(PDF, [{ name: "actorId", value: a.uid }])))).status).toBe(200);
    expect((await upload(null, multipart(fileParts(PDF)))).status).toBe(401);
  });

  it("an Idempotency-Key makes a retried upload answer the first document (one row, one object); another body length with the key → 422", async () => {
    const a = await login();
    const body = multipart(fileParts(PDF));
    const headers = { "idempotency-key": `up-${a.uid}`, "content-length": String(body.length) };
    const first = await upload(a, body, testEnv, headers);
    expect(first.status).toBe(200);
    const again = await upload(a, body, testEnv, headers);
    expect(again.status).toBe(200);
    expect(again.body.contract.id).toBe(first.body.contract.id);
    expect(await count("contracts", "created_by = ?", a.uid)).toBe(1);
    expect((await objectKeys()).filter((k) => k.startsWith(`contracts/${first.body.contract.id}/`))).toHaveLength(1);
    const other = multipart(fileParts(PNG, [], "bild.png"));
    const reused = await upload(a, other, testEnv, { "idempotency-key": `up-${a.uid}`, "content-length": String(other.length) });
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe("idempotency_key_reused");
    expect(await count("contracts", "created_by = ?", a.uid)).toBe(1);
  });

  it("links to a voucher only for its parties", async () => {
    const issuer = await login();
    const stranger = await login();
    const { voucher } = await issueVoucher(issuer);
    const ok = await upload(issuer, multipart(fileParts(PDF, [{ name: "voucherId", value: voucher.voucherId }])));
    expect(ok.status).toBe(200);
    expect(ok.body.linkId).toMatch(/^cl-/);
    const link = await row("SELECT * FROM contract_links WHERE id = ?", ok.body.linkId);
    expect(link).toMatchObject({ subject_type: "voucher", subject_id: voucher.voucherId, role: "primary" });
    const before = await objectKeys();
    const no = await upload(stranger, multipart(fileParts(PDF, [{ name: "voucherId", value: voucher.voucherId }])));
    expect(no.status).toBe(403);
    await nothingLeftBy(stranger.uid, before);
  });

  /** An 11 MiB text document: more than two R2 parts' worth of bytes. */
  const bigText = () => {
    const big = new Uint8Array(11 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = 0x41 + (i % 26);
    return big;
  };
  /** `body` as a stream of 64 KiB chunks: no Content-Length reaches the server. */
  const chunked = (body: Uint8Array) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < body.length; at += 65_536) controller.enqueue(body.slice(at, at + 65_536));
        controller.close();
      },
    });

  it("streams a document larger than one R2 part without a Content-Length (buffered equal parts) and serves it back with a matching hash", async () => {
    const a = await login();
    const big = bigText();
    const res = await upload(a, chunked(multipart(fileParts(big, [], "big.txt"))));
    expect(res.status).toBe(200);
    expect(res.body.contract.byteSize).toBe(big.length);
    expect(res.body.contract.hashSha256).toBe(await sha256Hex(big));
    const dl = await download(a, res.body.contract.id);
    expect(dl.status).toBe(200);
    expect(await sha256Hex(new Uint8Array(await dl.arrayBuffer()))).toBe(res.body.contract.hashSha256);
  });

  it("with a Content-Length, streams the proven part of a large file live into R2; fields after the file still count", async () => {
    const a = await login();
    const big = bigText();
    const body = multipart([...fileParts(big, [], "big.txt"), { name: "name", value: "Großer Vertrag" }]);
    const res = await upload(a, chunked(body), testEnv, { "content-length": String(body.length) });
    expect(res.status).toBe(200);
    expect(res.body.contract).toMatchObject({ name: "Großer Vertrag", byteSize: big.length, hashSha256: await sha256Hex(big) });
    const dl = await download(a, res.body.contract.id);
    expect(await sha256Hex(new Uint8Array(await dl.arrayBuffer()))).toBe(res.body.contract.hashSha256);
  });

  it("with a Content-Length, more bytes after the file than the envelope allows → 400 invalid_multipart, nothing left behind", async () => {
    const a = await login();
    const before = await objectKeys();
    const file = bigText().subarray(0, 6 * 1024 * 1024);
    const epilogue = new Uint8Array(300 * 1024).fill(0x20);
    const body = new Uint8Array([...multipart(fileParts(file, [], "big.txt")), ...epilogue]);
    const res = await upload(a, chunked(body), testEnv, { "content-length": String(body.length) });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("invalid_multipart");
    await nothingLeftBy(a.uid, before);
  });
});

describe("GET /api/contracts/:id/download", () => {
  it("streams the bytes with type, length, ETag, Digest and attachment; only to who may see it", async () => {
    const a = await login();
    const stranger = await login();
    const up = await upload(a, multipart(fileParts(PDF, [], "Vertrag ä.pdf")));
    const id = up.body.contract.id;
    const res = await download(a, id);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/pdf");
    expect(res.headers.get("content-length")).toBe(String(PDF.length));
    expect(res.headers.get("etag")).toBe(`"${await sha256Hex(PDF)}"`);
    expect(res.headers.get("digest")).toBe(
      `sha-256=${btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest("SHA-256", PDF))))}`,
    );
    expect(res.headers.get("content-disposition")).toContain("attachment");
    expect(res.headers.get("content-disposition")).toContain("filename*=UTF-8''Vertrag%20%C3%A4.pdf");
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(PDF);
    const denied = await download(stranger, id);
    expect(denied.status).toBe(404);
    await checkContract("GET", `/api/contracts/${id}/download`, denied);
  });

  it("answers byte ranges with 206 and Content-Range; an unsatisfiable range → 416", async () => {
    const a = await login();
    const id = (await upload(a, multipart(fileParts(PDF)))).body.contract.id;
    const r = await download(a, id, { range: "bytes=1-4" });
    expect(r.status).toBe(206);
    expect(r.headers.get("content-range")).toBe(`bytes 1-4/${PDF.length}`);
    expect(r.headers.get("content-length")).toBe("4");
    expect(new TextDecoder().decode(await r.arrayBuffer())).toBe("PDF-");
    const tail = await download(a, id, { range: "bytes=-6" });
    expect(tail.status).toBe(206);
    expect(new Uint8Array(await tail.arrayBuffer())).toEqual(PDF.subarray(PDF.length - 6));
    const bad = await download(a, id, { range: `bytes=${PDF.length}-` });
    expect(bad.status).toBe(416);
    expect(bad.headers.get("content-range")).toBe(`bytes */${PDF.length}`);
  });

  it("refuses a stored object whose bytes no longer match the hash: 409 integrity_failed", async () => {
    const a = await login();
    const up = await upload(a, multipart(fileParts(PDF)));
    // Same length, other bytes, written behind the API's back.
    const tampered = PDF.slice();
    tampered[PDF.length - 2] = 0x58;
    await testEnv.CONTRACTS.put(up.body.contract.storageUrl, tampered);
    const res = await download(a, up.body.contract.id);
    expect(res.status).toBe(409);
    expect(((await res.json()) as any).code).toBe("integrity_failed");
  });
});

describe("GET /api/contracts/list and links", () => {
  it("lists what the caller created or is a party of, filtered by voucher, with a cursor", async () => {
    const issuer = await login();
    const holder = await login();
    const stranger = await login();
    const { voucher } = await issueVoucher(issuer);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(
        (await upload(issuer, multipart(fileParts(PDF, [{ name: "voucherId", value: voucher.voucherId }])))).body.contract.id,
      );
    }
    const unlinked = (await upload(issuer, multipart(fileParts(PDF)))).body.contract.id;
    const mine = await get("/api/contracts/list", issuer, { voucherId: voucher.voucherId, limit: 2 });
    expect(mine.status).toBe(200);
    expect(mine.body.items.map((d: any) => d.id)).toEqual([ids[2], ids[1]]);
    const next = await get("/api/contracts/list", issuer, {
      voucherId: voucher.voucherId,
      limit: 2,
      cursor: mine.body.nextCursor,
    });
    expect(next.body.items.map((d: any) => d.id)).toEqual([ids[0]]);
    expect(next.body.nextCursor).toBeNull();
    expect((await get("/api/contracts/list", stranger)).body.items).toEqual([]);
    // The holder becomes a party by booking; until then it sees nothing.
    expect((await get("/api/contracts/list", holder, { voucherId: voucher.voucherId })).body.items).toEqual([]);
    await testEnv.DB.prepare("UPDATE vouchers SET holder_uid = ? WHERE id = ?").bind(holder.uid, voucher.voucherId).run();
    const seen = await get("/api/contracts/list", holder, { voucherId: voucher.voucherId });
    expect(seen.body.items).toHaveLength(3);
    expect((await get("/api/contracts/list", holder)).body.items.map((d: any) => d.id)).not.toContain(unlinked);
  });

  it("links a document to a voucher (creator and party of the target), lists its links, refuses others and duplicates, and unlinks", async () => {
    const issuer = await login();
    const stranger = await login();
    const { voucher } = await issueVoucher(issuer);
    const id = (await upload(issuer, multipart(fileParts(PDF)))).body.contract.id;
    const path = `/api/contracts/${id}/links`;
    const { json } = await import("../support/client");
    const ok = await json(path, { session: issuer.session, body: { voucherId: voucher.voucherId, role: "annex" } });
    expect(ok.status).toBe(200);
    expect(ok.body.link).toMatchObject({ contractId: id, subjectType: "voucher", subjectId: voucher.voucherId, role: "annex" });
    expect((await json(path, { session: issuer.session, body: { voucherId: voucher.voucherId, role: "annex" } })).body.code).toBe(
      "link_exists",
    );
    expect((await json(path, { session: stranger.session, body: { voucherId: voucher.voucherId, role: "annex" } })).status).toBe(
      404,
    );
    expect((await json(path, { session: issuer.session, body: { voucherId: "v-nope", role: "annex" } })).body.code).toBe(
      "link_target_not_found",
    );
    expect((await json(path, { session: issuer.session, body: { role: "annex" } })).status).toBe(400);
    // A stranger's own voucher: the document's creator is no party there.
    const { voucher: foreign } = await issueVoucher(stranger);
    expect((await json(path, { session: issuer.session, body: { voucherId: foreign.voucherId, role: "annex" } })).status).toBe(
      403,
    );
    expect(await count("events", "type = 'contract.link' AND subject_id = ?", id)).toBe(1);
    const listed = await json(path, { session: issuer.session });
    expect(listed.status).toBe(200);
    expect(listed.body.links).toEqual([ok.body.link]);
    expect((await json(path, { session: stranger.session })).body.code).toBe("document_not_found");
    const del = await json(`${path}/${ok.body.link.id}`, { session: issuer.session, method: "DELETE" });
    expect(del.status).toBe(200);
    expect(await count("contract_links", "contract_id = ?", id)).toBe(0);
    expect((await json(path, { session: issuer.session })).body.links).toEqual([]);
    expect((await json(`${path}/${ok.body.link.id}`, { session: issuer.session, method: "DELETE" })).body.code).toBe(
      "link_not_found",
    );
    expect(await rows("SELECT * FROM events WHERE type = 'contract.unlink' AND subject_id = ?", id)).toHaveLength(1);
  });
});
