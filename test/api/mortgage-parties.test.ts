/**
 * Parties: an admin grants, replaces and revokes the roles lender and notary
 * (`PUT`/`DELETE /api/admin/parties/:uid`, `GET /api/admin/parties`), and any verified person
 * reads the lender directory (`GET /api/hypotheken/lenders`). Every role change is one event in
 * the change's batch, also when admins race; refusals write nothing.
 */
import { describe, expect, it } from "vitest";
import { call, json, login, newUid } from "../support/client";
import { ADMIN } from "../support/settlement-kit";
import { count, eventsOfRequest, get, newRequestId, rows } from "../support/voucher-kit";

/** PUTs a party as the admin, with a fixed request id. */
function put(uid: string, body: unknown, requestId = newRequestId()) {
  return json(`/api/admin/parties/${encodeURIComponent(uid)}`, {
    method: "PUT",
    body,
    headers: { ...ADMIN, "x-request-id": requestId },
  });
}

/** DELETEs a party as the admin. */
function del(uid: string, requestId = newRequestId()) {
  return json(`/api/admin/parties/${encodeURIComponent(uid)}`, {
    method: "DELETE",
    headers: { ...ADMIN, "x-request-id": requestId },
  });
}

const adminGet = (path: string) => json(path, { headers: ADMIN });
const rolesOf = async (uid: string) =>
  (await rows<{ role: string }>("SELECT role FROM party_roles WHERE uid = ? ORDER BY role", uid)).map((r) => r.role);
/** `type:role` of event rows, sorted. */
const changes = (evs: Record<string, any>[]) =>
  evs.map((e) => `${e.type}:${(JSON.parse(e.meta) as { role: string }).role}`).sort();

describe("PUT /api/admin/parties/:uid", () => {
  it("creates the party with its roles, one party.grant per role, in the request's batch", async () => {
    const uid = newUid("bank");
    const rid = newRequestId();
    const res = await put(uid, { roles: ["lender", "notary"], displayName: "  Musterbank AG " }, rid);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      ok: true,
      party: { uid, displayName: "Musterbank AG", roles: ["lender", "notary"] },
      granted: ["lender", "notary"],
      revoked: [],
    });
    expect(await rolesOf(uid)).toEqual(["lender", "notary"]);
    const evs = await eventsOfRequest(rid);
    expect(changes(evs)).toEqual(["party.grant:lender", "party.grant:notary"]);
    expect(evs.every((e) => e.actor_uid === "admin" && e.subject_type === "party" && e.subject_id === uid)).toBe(true);
  });

  it("replaces the role set: only changed roles get events; the same set again writes no event", async () => {
    const uid = newUid("bank");
    await put(uid, { roles: ["lender"], displayName: "A" });
    const rid = newRequestId();
    const res = await put(uid, { roles: ["notary"], displayName: "B" }, rid);
    expect(res.body).toMatchObject({ party: { displayName: "B", roles: ["notary"] }, granted: ["notary"], revoked: ["lender"] });
    expect(changes(await eventsOfRequest(rid))).toEqual(["party.grant:notary", "party.revoke:lender"]);
    expect(await rolesOf(uid)).toEqual(["notary"]);

    const again = newRequestId();
    const same = await put(uid, { roles: ["notary"], displayName: "B" }, again);
    expect(same.body).toMatchObject({ granted: [], revoked: [], party: { roles: ["notary"] } });
    expect(await eventsOfRequest(again)).toEqual([]);
    expect(same.body.party.createdAt).toBe(res.body.party.createdAt);
  });

  it("an empty role set revokes every role and keeps the party", async () => {
    const uid = newUid("bank");
    await put(uid, { roles: ["lender", "notary"], displayName: "A" });
    const rid = newRequestId();
    const res = await put(uid, { roles: [], displayName: "A" }, rid);
    expect(res.body).toMatchObject({ party: { roles: [] }, granted: [], revoked: ["lender", "notary"] });
    expect(changes(await eventsOfRequest(rid))).toEqual(["party.revoke:lender", "party.revoke:notary"]);
    expect(await count("parties", "uid = ?", uid)).toBe(1);
  });

  it("racing admins: the events are exactly the changes that happened", async () => {
    const uid = newUid("bank");
    const sets = [["lender"], ["notary"], ["lender", "notary"], [], ["lender"], ["notary"], ["lender"], []];
    const answers = await Promise.all(sets.map((roles) => put(uid, { roles, displayName: "Race" })));
    expect(answers.map((a) => a.status)).toEqual(sets.map(() => 200));
    // Replaying the logged grants and revokes in order gives the stored role set, with no event a no-op.
    const held = new Set<string>();
    for (const e of await rows<{ type: string; meta: string }>(
      "SELECT type, meta FROM events WHERE subject_id = ? ORDER BY rowid",
      uid,
    )) {
      const role = (JSON.parse(e.meta) as { role: string }).role;
      if (e.type === "party.grant") {
        expect(held.has(role), `grant of a held ${role}`).toBe(false);
        held.add(role);
      } else {
        expect(held.has(role), `revoke of a missing ${role}`).toBe(true);
        held.delete(role);
      }
    }
    expect([...held].sort()).toEqual(await rolesOf(uid));
  });

  it("refuses bad input with nothing written", async () => {
    const uid = newUid("bank");
    const cases: [string, unknown, number, string][] = [
      ["bad.uid", { roles: [], displayName: "A" }, 400, "bad_uid"],
      [uid, { roles: ["lender"], displayName: "A", extra: 1 }, 400, "validation_failed"],
      [uid, { roles: ["lender", "lender"], displayName: "A" }, 400, "validation_failed"],
      [uid, { roles: ["borrower"], displayName: "A" }, 400, "validation_failed"],
      [uid, { roles: "lender", displayName: "A" }, 400, "validation_failed"],
      [uid, { roles: ["lender"], displayName: "   " }, 400, "validation_failed"],
      [uid, { roles: ["lender"] }, 400, "validation_failed"],
    ];
    for (const [who, body, status, code] of cases) {
      const res = await put(who, body);
      expect([res.status, res.body.code], JSON.stringify(body)).toEqual([status, code]);
    }
    const malformed = await call(`/api/admin/parties/${uid}`, {
      method: "PUT",
      raw: '{"roles": [',
      headers: { ...ADMIN, "content-type": "application/json" },
    });
    expect([malformed.status, ((await malformed.json()) as { code: string }).code]).toEqual([400, "invalid_json"]);
    expect(await count("parties", "uid = ?", uid)).toBe(0);
    expect(await count("events", "subject_id = ?", uid)).toBe(0);
  });

  it("is refused without the admin token, also for a verified person", async () => {
    const me = await login();
    const uid = newUid("bank");
    const body = { roles: ["lender"], displayName: "Self-made bank" };
    const anon = await json(`/api/admin/parties/${uid}`, { method: "PUT", body });
    const user = await json(`/api/admin/parties/${me.uid}`, { method: "PUT", body, session: me.session });
    expect([anon.status, anon.body.code]).toEqual([401, "admin_unauthorized"]);
    expect([user.status, user.body.code]).toEqual([401, "admin_unauthorized"]);
    expect(await count("party_roles", "uid IN (?, ?)", uid, me.uid)).toBe(0);
  });
});

describe("DELETE /api/admin/parties/:uid", () => {
  it("revokes every role (one event each) and keeps the party; a repeat revokes nothing", async () => {
    const uid = newUid("bank");
    await put(uid, { roles: ["lender", "notary"], displayName: "A" });
    const rid = newRequestId();
    const res = await del(uid, rid);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, party: { uid, roles: [] }, granted: [], revoked: ["lender", "notary"] });
    expect(changes(await eventsOfRequest(rid))).toEqual(["party.revoke:lender", "party.revoke:notary"]);
    expect(await rolesOf(uid)).toEqual([]);
    const rid2 = newRequestId();
    const again = await del(uid, rid2);
    expect(again.body).toMatchObject({ ok: true, revoked: [] });
    expect(await eventsOfRequest(rid2)).toEqual([]);
  });

  it("404 party_not_found for an unknown uid, 400 bad_uid for a malformed one", async () => {
    const unknown = await del(newUid("nobody"));
    expect([unknown.status, unknown.body.code]).toEqual([404, "party_not_found"]);
    const bad = await del("not a uid");
    expect([bad.status, bad.body.code]).toEqual([400, "bad_uid"]);
  });
});

describe("GET /api/admin/parties", () => {
  it("lists parties newest first with their roles, filtered by role, page by page", async () => {
    const uids = [newUid("p1"), newUid("p2"), newUid("p3")];
    await put(uids[0] as string, { roles: ["lender"], displayName: "One" });
    await put(uids[1] as string, { roles: ["notary"], displayName: "Two" });
    await put(uids[2] as string, { roles: ["lender", "notary"], displayName: "Three" });

    const all: { uid: string; roles: string[] }[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: Record<string, any> } = await adminGet(
        `/api/admin/parties?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      all.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    const mine = all.filter((p) => uids.includes(p.uid));
    expect(mine.map((p) => [p.uid, p.roles])).toEqual([
      [uids[2], ["lender", "notary"]],
      [uids[1], ["notary"]],
      [uids[0], ["lender"]],
    ]);
    expect(new Set(all.map((p) => p.uid)).size).toBe(all.length);

    const lenders = await adminGet("/api/admin/parties?role=lender&limit=200");
    const lenderUids = lenders.body.items.map((p: { uid: string }) => p.uid);
    expect(lenderUids).toContain(uids[0]);
    expect(lenderUids).toContain(uids[2]);
    expect(lenderUids).not.toContain(uids[1]);
  });

  it("refuses a bad cursor, an unknown role and unknown parameters", async () => {
    for (const [q, code] of [
      ["cursor=nonsense", "invalid_cursor"],
      ["role=borrower", "validation_failed"],
      ["limit=0", "validation_failed"],
      ["x=1", "validation_failed"],
    ] as const) {
      const res = await adminGet(`/api/admin/parties?${q}`);
      expect([res.status, res.body.code], q).toEqual([400, code]);
    }
  });
});

describe("GET /api/hypotheken/lenders", () => {
  it("lists the current lenders only (not notaries, not revoked ones) to any verified person", async () => {
    const lender = newUid("bank");
    const notary = newUid("notary");
    const revoked = newUid("gone");
    await put(lender, { roles: ["lender"], displayName: "Directory Bank" });
    await put(notary, { roles: ["notary"], displayName: "Notary" });
    await put(revoked, { roles: ["lender"], displayName: "Gone Bank" });
    await del(revoked);
    const me = await login();
    const res = await get("/api/hypotheken/lenders", me, { limit: 200 });
    expect(res.status).toBe(200);
    const items = res.body.items as { uid: string; displayName: string }[];
    expect(items).toContainEqual({ uid: lender, displayName: "Directory Bank" });
    expect(items.map((i) => i.uid)).not.toContain(notary);
    expect(items.map((i) => i.uid)).not.toContain(revoked);
  });

  it("needs a session", async () => {
    const res = await get("/api/hypotheken/lenders", null);
    expect([res.status, res.body.code]).toEqual([401, "unauthenticated"]);
  });
});
