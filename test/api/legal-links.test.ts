/**
 * Legal hub links beyond vouchers: a mortgage contract or application carries its documents
 * (seen by its parties, not by others), a room's documents are its members', uploads in compat
 * mode, fields in any order, and who may remove a link.
 */
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { checkContract, compatEnv, json, login, newUid, testEnv } from "../support/client";
import { insertContract } from "../support/mortgage-kit";
import { type Who, get } from "../support/voucher-kit";

const BOUNDARY = "linksboundary";
const TXT = new TextEncoder().encode("Anlage 1: Grundbuchauszug\n");

async function upload(
  who: Who | null,
  fields: Array<[string, string]>,
  e: Env = testEnv,
  headers: Record<string, string> = {},
  fileFirst = false,
) {
  const enc = new TextEncoder();
  const field = ([k, v]: [string, string]) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`;
  const fileHead = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="anlage.txt"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n`;
  const before = fileFirst ? fileHead : fields.map(field).join("") + fileHead;
  const after = `\r\n${fileFirst ? fields.map(field).join("") : ""}--${BOUNDARY}--\r\n`;
  const a = enc.encode(before);
  const b = enc.encode(after);
  const body = new Uint8Array(a.length + TXT.length + b.length);
  body.set(a, 0);
  body.set(TXT, a.length);
  body.set(b, a.length + TXT.length);
  const res = await app.request(
    "http://localhost/api/contracts/upload",
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
  await checkContract("POST", "/api/contracts/upload", res);
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const ids = (r: { body: Record<string, any> }) => (r.body.items as Array<{ id: string }>).map((d) => d.id);

describe("links to mortgage objects", () => {
  it("a contract's parties link and see its documents; a stranger can do neither", async () => {
    const [borrower, lender, stranger] = await Promise.all([login(), login(), login()]);
    const contract = await insertContract(borrower.uid, lender.uid);
    const doc = (await upload(borrower, [["name", "Grundbuchauszug"]])).body.contract;
    const path = `/api/contracts/${doc.id}/links`;
    const linked = await json(path, {
      session: borrower.session,
      body: { mortgage: { object: "contract", id: contract.id }, role: "annex" },
    });
    expect(linked.status).toBe(200);
    expect(linked.body.link).toMatchObject({ subjectType: "mortgage_contract", subjectId: contract.id, role: "annex" });
    // The lender, a party of the contract, now sees and downloads it.
    expect(ids(await get("/api/contracts/list", lender))).toContain(doc.id);
    const dl = await app.request(
      `http://localhost${doc.downloadUrl}`,
      { headers: { authorization: `Bearer ${lender.session}` } },
      testEnv,
    );
    expect(dl.status).toBe(200);
    expect(await dl.text()).toBe(new TextDecoder().decode(TXT));
    expect(ids(await get("/api/contracts/list", stranger))).not.toContain(doc.id);
    // A stranger's own document cannot be attached to the contract.
    const foreign = (await upload(stranger, [])).body.contract;
    const refused = await json(`/api/contracts/${foreign.id}/links`, {
      session: stranger.session,
      body: { mortgage: { object: "contract", id: contract.id }, role: "annex" },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe("not_allowed");
    // The lender (a party of the linked object, not the creator) may attach it to the application too.
    const app2 = await json(path, {
      session: lender.session,
      body: { mortgage: { object: "application", id: contract.applicationId }, role: "application" },
    });
    expect(app2.status).toBe(200);
  });

  it("the lender, a party of the linked contract, may remove the link; a stranger may not", async () => {
    const [borrower, lender, stranger] = await Promise.all([login(), login(), login()]);
    const contract = await insertContract(borrower.uid, lender.uid);
    const doc = (await upload(borrower, [])).body.contract;
    const linked = await json(`/api/contracts/${doc.id}/links`, {
      session: borrower.session,
      body: { mortgage: { object: "contract", id: contract.id }, role: "primary" },
    });
    const linkPath = `/api/contracts/${doc.id}/links/${linked.body.link.id}`;
    expect((await json(linkPath, { session: stranger.session, method: "DELETE" })).status).toBe(404);
    const removed = await json(linkPath, { session: lender.session, method: "DELETE" });
    expect(removed.status).toBe(200);
    // Unlinked, the lender no longer sees it.
    expect(ids(await get("/api/contracts/list", lender))).not.toContain(doc.id);
  });
});

describe("rooms", () => {
  it("a room's members see its documents; an upload naming a room the caller never entered is refused", async () => {
    const [a, b, outsider] = await Promise.all([login(), login(), login()]);
    const roomId = `deal:${newUid("r")}`;
    const now = Date.now();
    await testEnv.DB.batch([
      testEnv.DB.prepare("INSERT INTO rooms (id, type, owner_uid, meta, created_at) VALUES (?, 'mixed', ?, '{}', ?)").bind(
        roomId,
        a.uid,
        now,
      ),
      testEnv.DB.prepare("INSERT INTO room_members (room_id, uid, first_at, last_at) VALUES (?, ?, ?, ?), (?, ?, ?, ?)").bind(
        roomId,
        a.uid,
        now,
        now,
        roomId,
        b.uid,
        now,
        now,
      ),
    ]);
    const up = await upload(a, [["roomId", roomId]]);
    expect(up.status).toBe(200);
    expect(ids(await get("/api/contracts/list", b, { roomId }))).toEqual([up.body.contract.id]);
    expect(ids(await get("/api/contracts/list", outsider, { roomId }))).toEqual([]);
    const refused = await upload(outsider, [["roomId", roomId]]);
    expect(refused.status).toBe(403);
    const unknown = await upload(a, [["roomId", "deal:never-used"]]);
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe("link_target_not_found");
  });
});

describe("upload details", () => {
  it("fields after the file count the same (name, voucher link)", async () => {
    const a = await login();
    const res = await upload(a, [["name", "Später benannt"]], testEnv, {}, true);
    expect(res.status).toBe(200);
    expect(res.body.contract).toMatchObject({ name: "Später benannt", mimeType: "text/plain", byteSize: TXT.length });
  });

  it("AUTH_MODE=compat: an unsigned client names itself with X-MOT-User; actorId must agree", async () => {
    const uid = newUid("compat");
    const ok = await upload(null, [["actorId", uid]], compatEnv, { "x-mot-user": uid });
    expect(ok.status).toBe(200);
    expect(ok.body.contract.createdBy).toBe(uid);
    const mismatch = await upload(null, [["actorId", "someone-else"]], compatEnv, { "x-mot-user": uid });
    expect(mismatch.status).toBe(403);
    // actorId alone cannot assert an identity (the pipeline decides the caller before the body is read).
    expect((await upload(null, [["actorId", uid]], compatEnv)).status).toBe(401);
  });
});
