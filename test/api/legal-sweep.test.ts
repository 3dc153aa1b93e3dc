/**
 * Legal hub lifecycle: the sweep removes abandoned uploads and the objects of deleted documents
 * (and nothing else); erasure deletes the person's unattached uploads and keeps the attached ones
 * for the other parties, under the tombstone.
 */
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { createDb } from "../../src/db/client";
import { PENDING_TTL_MS, sweepDocuments } from "../../src/legal/sweep";
import { issueVoucher, json, login, newUid, testEnv } from "../support/client";
import { type Who, get, row } from "../support/voucher-kit";

const BOUNDARY = "sweeptestboundary";
const PDF = new TextEncoder().encode("%PDF-1.4\nsweep test\n%%EOF\n");

async function upload(who: Who, extra: Record<string, string> = {}) {
  const enc = new TextEncoder();
  let text = "";
  for (const [k, v] of Object.entries(extra))
    text += `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`;
  const head = enc.encode(`${text}--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="x.pdf"\r\n\r\n`);
  const tail = enc.encode(`\r\n--${BOUNDARY}--\r\n`);
  const body = new Uint8Array(head.length + PDF.length + tail.length);
  body.set(head, 0);
  body.set(PDF, head.length);
  body.set(tail, head.length + PDF.length);
  const res = await app.request(
    "http://localhost/api/contracts/upload",
    {
      method: "POST",
      headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}`, authorization: `Bearer ${who.session}` },
      body,
    },
    testEnv,
  );
  const out = (await res.json()) as Record<string, any>;
  if (res.status !== 200) throw new Error(`upload failed: ${res.status} ${JSON.stringify(out)}`);
  return out.contract as { id: string; storageUrl: string };
}

/** A row as an upload leaves it at each stage, with its object (when `object`). */
async function fixture(status: "pending" | "deleted", createdAt: number, opts: { stored?: boolean; object?: boolean } = {}) {
  const id = `ct-${newUid("sw")}`;
  const key = `contracts/${id}/x.pdf`;
  await testEnv.DB.prepare(
    `INSERT INTO contracts (id, name, mime_type, byte_size, r2_key, hash_sha256, created_by, status, created_at, stored_at)
     VALUES (?, 'x.pdf', 'application/pdf', 0, ?, NULL, 'someone', ?, ?, ?)`,
  )
    .bind(id, key, status, createdAt, opts.stored ? createdAt : null)
    .run();
  if (opts.object !== false) await testEnv.CONTRACTS.put(key, PDF);
  return { id, key };
}

const exists = async (key: string) => (await testEnv.CONTRACTS.head(key)) !== null;

describe("sweepDocuments", () => {
  it("removes an abandoned pending upload (row and object), leaves a young one alone", async () => {
    const now = Date.now();
    const stale = await fixture("pending", now - PENDING_TTL_MS - 1);
    const young = await fixture("pending", now - 1000);
    const result = await sweepDocuments(createDb(testEnv.DB), testEnv.CONTRACTS, now);
    expect(result.abandoned).toBeGreaterThanOrEqual(1);
    expect(await row("SELECT id FROM contracts WHERE id = ?", stale.id)).toBeUndefined();
    expect(await exists(stale.key)).toBe(false);
    expect(await row("SELECT status FROM contracts WHERE id = ?", young.id)).toEqual({ status: "pending" });
    expect(await exists(young.key)).toBe(true);
  });

  it("removes the object of a deleted document once, keeping the row with deleted_at", async () => {
    const now = Date.now();
    const doc = await fixture("deleted", now - 5000, { stored: true });
    await sweepDocuments(createDb(testEnv.DB), testEnv.CONTRACTS, now);
    expect(await exists(doc.key)).toBe(false);
    expect(await row("SELECT status, deleted_at FROM contracts WHERE id = ?", doc.id)).toEqual({
      status: "deleted",
      deleted_at: now,
    });
    // Done: a later run does not revisit it.
    await testEnv.CONTRACTS.put(doc.key, PDF);
    await sweepDocuments(createDb(testEnv.DB), testEnv.CONTRACTS, now + 1);
    expect(await exists(doc.key)).toBe(true);
  });

  it("never touches stored documents", async () => {
    const who = await login();
    const c = await upload(who);
    await sweepDocuments(createDb(testEnv.DB), testEnv.CONTRACTS, Date.now() + 10 * PENDING_TTL_MS);
    expect(await exists(c.storageUrl)).toBe(true);
    expect(await row("SELECT status FROM contracts WHERE id = ?", c.id)).toEqual({ status: "stored" });
  });
});

describe("erasure of an uploader", () => {
  it("deletes the unattached uploads (object removed by the sweep) and keeps attached ones for the other party", async () => {
    const a = await login();
    const b = await login();
    const { voucher } = await issueVoucher(a);
    await testEnv.DB.prepare("UPDATE vouchers SET holder_uid = ? WHERE id = ?").bind(b.uid, voucher.voucherId).run();
    const own = await upload(a);
    const shared = await upload(a, { voucherId: voucher.voucherId });

    const erased = await json(`/api/admin/thinkers/${a.uid}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${testEnv.ADMIN_TOKEN}` },
    });
    expect(erased.status).toBe(200);
    const tombstone = erased.body.tombstone as string;
    expect(erased.body.rows["contracts.unshared"]).toBe(1);

    expect(await row("SELECT status, name, created_by, deleted_at FROM contracts WHERE id = ?", own.id)).toEqual({
      status: "deleted",
      name: "erased",
      created_by: tombstone,
      deleted_at: null,
    });
    expect(await row("SELECT status, created_by FROM contracts WHERE id = ?", shared.id)).toEqual({
      status: "stored",
      created_by: tombstone,
    });
    expect(await row("SELECT created_by FROM contract_links WHERE contract_id = ?", shared.id)).toEqual({
      created_by: tombstone,
    });

    const now = Date.now();
    await sweepDocuments(createDb(testEnv.DB), testEnv.CONTRACTS, now);
    expect(await exists(own.storageUrl)).toBe(false);
    expect(await row("SELECT deleted_at FROM contracts WHERE id = ?", own.id)).toEqual({ deleted_at: now });
    expect(await exists(shared.storageUrl)).toBe(true);

    // The holder still sees and downloads the shared document.
    const list = await get("/api/contracts/list", b, { voucherId: voucher.voucherId });
    expect(list.body.items.map((d: any) => d.id)).toEqual([shared.id]);
    const dl = await app.request(
      `http://localhost/api/contracts/${shared.id}/download`,
      { headers: { authorization: `Bearer ${b.session}` } },
      testEnv,
    );
    expect(dl.status).toBe(200);
    expect(new Uint8Array(await dl.arrayBuffer())).toEqual(PDF);
  });
});
