/**
 * Manifest sync: submit (idempotent upsert by content hash, version bumps, conflicts reported per
 * post, caps, per-post validation, one batch with one event) and list (visibility, filters,
 * cursor pagination).
 */
import { describe, expect, it } from "vitest";
import { json, login, newUid } from "../support/client";
import { count, get, post, rows } from "../support/voucher-kit";

const SUBMIT = "/api/manifest/submit";
const LIST = "/api/manifest/list";

const exportOf = (posts: unknown[]) => ({ source: "manifest-of-thinkers-offline", version: 1, posts });
const postsOf = (uid: string) =>
  rows<{ client_id: string; version: number; body: string; title: string | null }>(
    "SELECT * FROM manifest_posts WHERE author_uid = ? ORDER BY client_id",
    uid,
  );
const submitEvents = (uid: string) => count("events", "type = 'manifest.submit' AND actor_uid = ?", uid);

describe("POST /api/manifest/submit", () => {
  it("creates, then answers unchanged for the same export without writing anything", async () => {
    const me = await login();
    const body = exportOf([
      { id: "p1", title: "Hallo", content: "Erster Beitrag", tags: ["a"], initials: "AB", createdAt: "2026-01-01T10:00:00Z" },
      { clientId: "p2", type: "note", visibility: "private", body: "Nur für mich" },
    ]);
    const first = await post(SUBMIT, me, body);
    expect(first.status).toBe(200);
    expect(first.body.results).toEqual([
      { index: 0, clientId: "p1", status: "created", version: 1 },
      { index: 1, clientId: "p2", status: "created", version: 1 },
    ]);
    expect(await submitEvents(me.uid)).toBe(1);
    const stored = await postsOf(me.uid);
    expect(stored.map((r) => [r.client_id, r.version])).toEqual([
      ["p1", 1],
      ["p2", 1],
    ]);

    const again = await post(SUBMIT, me, body);
    expect(again.body.results.map((r: { status: string }) => r.status)).toEqual(["unchanged", "unchanged"]);
    expect(await submitEvents(me.uid)).toBe(1);
    expect(await postsOf(me.uid)).toEqual(stored);
  });

  it("a changed post gets a version bump; key order inside meta does not count as a change", async () => {
    const me = await login();
    await post(SUBMIT, me, exportOf([{ id: "x", content: "v1", meta: { a: 1, b: 2 } }]));
    const same = await post(SUBMIT, me, exportOf([{ id: "x", content: "v1", meta: { b: 2, a: 1 } }]));
    expect(same.body.results[0]).toMatchObject({ status: "unchanged", version: 1 });
    const changed = await post(SUBMIT, me, exportOf([{ id: "x", content: "v2", meta: { a: 1, b: 2 } }]));
    expect(changed.body.results[0]).toMatchObject({ status: "updated", version: 2 });
    const [r] = await postsOf(me.uid);
    expect(JSON.parse(r?.body ?? "{}").content).toBe("v2");
    expect(await submitEvents(me.uid)).toBe(2);
    const [ev] = await rows("SELECT meta FROM events WHERE type = 'manifest.submit' AND actor_uid = ? ORDER BY id DESC", me.uid);
    expect(JSON.parse(ev?.meta)).toEqual({ source: "manifest-of-thinkers-offline", exportVersion: 1, posts: 1, changed: 1 });
  });

  it("baseVersion: an older base is a conflict and the server copy stays; the current base updates", async () => {
    const me = await login();
    await post(SUBMIT, me, exportOf([{ id: "c", content: "one" }]));
    await post(SUBMIT, me, exportOf([{ id: "c", content: "two", baseVersion: 1 }]));
    const stale = await post(SUBMIT, me, exportOf([{ id: "c", content: "from an old copy", baseVersion: 1 }]));
    expect(stale.body.results[0]).toEqual({ index: 0, clientId: "c", status: "conflict", version: 2, baseVersion: 1 });
    expect(JSON.parse((await postsOf(me.uid))[0]?.body ?? "{}").content).toBe("two");
    const fresh = await post(SUBMIT, me, exportOf([{ id: "c", content: "three", baseVersion: 2 }]));
    expect(fresh.body.results[0]).toMatchObject({ status: "updated", version: 3 });
    // The same content as stored is unchanged whatever base the client names.
    const sameOld = await post(SUBMIT, me, exportOf([{ id: "c", content: "three", baseVersion: 1 }]));
    expect(sameOld.body.results[0]).toMatchObject({ status: "unchanged", version: 3 });
  });

  it("updatedAt without baseVersion: an older or equal client time is a conflict, a newer one wins", async () => {
    const me = await login();
    await post(SUBMIT, me, exportOf([{ id: "t", content: "a", updatedAt: "2026-03-01T00:00:00Z" }]));
    const older = await post(SUBMIT, me, exportOf([{ id: "t", content: "b", updatedAt: "2026-02-01T00:00:00Z" }]));
    expect(older.body.results[0]).toMatchObject({ status: "conflict", version: 1 });
    const equal = await post(SUBMIT, me, exportOf([{ id: "t", content: "b", updatedAt: Date.parse("2026-03-01T00:00:00Z") }]));
    expect(equal.body.results[0]).toMatchObject({ status: "conflict" });
    const newer = await post(SUBMIT, me, exportOf([{ id: "t", content: "b", updatedAt: "2026-04-01T00:00:00Z" }]));
    expect(newer.body.results[0]).toMatchObject({ status: "updated", version: 2 });
  });

  it("reports invalid posts one by one and stores the valid ones", async () => {
    const me = await login();
    const res = await post(
      SUBMIT,
      me,
      exportOf([
        { id: "ok1", content: "fine" },
        { content: "no id" },
        { id: "bad id with spaces", content: "x" },
        { id: "ok1", content: "duplicate in the same export" },
        { id: "big", content: "x".repeat(8_001) },
        { id: "unknown", content: "x", surprise: true },
        { id: "heavy", content: "x", comments: ["c".repeat(4_100)] },
        "not an object",
        { id: "both", content: "a", body: "b" },
        { id: "ok2", body: "also fine", visibility: "private" },
      ]),
    );
    expect(res.status).toBe(200);
    const statuses = res.body.results.map((r: { clientId: string | null; status: string }) => [r.clientId, r.status]);
    expect(statuses).toEqual([
      ["ok1", "created"],
      [null, "invalid"],
      ["bad id with spaces", "invalid"],
      ["ok1", "invalid"],
      ["big", "invalid"],
      ["unknown", "invalid"],
      ["heavy", "invalid"],
      [null, "invalid"],
      ["both", "invalid"],
      ["ok2", "created"],
    ]);
    for (const r of res.body.results.filter((x: { status: string }) => x.status === "invalid")) {
      expect(r.errors.length).toBeGreaterThan(0);
    }
    expect((await postsOf(me.uid)).map((r) => r.client_id)).toEqual(["ok1", "ok2"]);
  });

  it("an export of only invalid posts writes nothing and still answers per post", async () => {
    const me = await login();
    const res = await post(SUBMIT, me, exportOf([{ id: "x" }]));
    expect(res.status).toBe(200);
    expect(res.body.results[0]).toMatchObject({ status: "invalid" });
    expect(await postsOf(me.uid)).toEqual([]);
    expect(await submitEvents(me.uid)).toBe(0);
  });

  it("caps: more than 100 posts is 400, a body over 32 KiB is 413, an empty export is fine", async () => {
    const me = await login();
    const many = Array.from({ length: 101 }, (_, i) => ({ id: `p${i}`, content: "x" }));
    const tooMany = await post(SUBMIT, me, exportOf(many));
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.code).toBe("validation_failed");
    const huge = Array.from({ length: 10 }, (_, i) => ({ id: `h${i}`, content: "y".repeat(4_000) }));
    const tooBig = await post(SUBMIT, me, exportOf(huge));
    expect(tooBig.status).toBe(413);
    expect(await postsOf(me.uid)).toEqual([]);
    const empty = await post(SUBMIT, me, exportOf([]));
    expect(empty.body).toEqual({ ok: true, results: [] });
  });

  it("refuses anonymous callers and a malformed envelope", async () => {
    const anon = await post(SUBMIT, null, exportOf([{ id: "a", content: "x" }]));
    expect(anon.status).toBe(401);
    const me = await login();
    const bad = await post(SUBMIT, me, { source: "s", posts: [] });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe("validation_failed");
  });

  it("keys posts by author: the same client id of two authors are two posts", async () => {
    const [a, b] = [await login(), await login()];
    await post(SUBMIT, a, exportOf([{ id: "shared", content: "from a" }]));
    const res = await post(SUBMIT, b, exportOf([{ id: "shared", content: "from b" }]));
    expect(res.body.results[0]).toMatchObject({ status: "created", version: 1 });
    expect(JSON.parse((await postsOf(a.uid))[0]?.body ?? "{}").content).toBe("from a");
  });

  it("20 concurrent identical submissions leave one version and one event", async () => {
    const me = await login();
    const body = exportOf([
      { id: "race1", content: "same" },
      { id: "race2", content: "same too", visibility: "private" },
    ]);
    const answers = await Promise.all(Array.from({ length: 20 }, () => post(SUBMIT, me, body)));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    const statuses = answers.map((a) => a.body.results.map((r: { status: string }) => r.status).join(","));
    expect(statuses.filter((s) => s === "created,created")).toHaveLength(1);
    expect(statuses.filter((s) => s === "unchanged,unchanged")).toHaveLength(19);
    expect((await postsOf(me.uid)).map((r) => [r.client_id, r.version])).toEqual([
      ["race1", 1],
      ["race2", 1],
    ]);
    expect(await submitEvents(me.uid)).toBe(1);
  });

  it("20 concurrent changes based on the same version: one update, nineteen conflicts", async () => {
    const me = await login();
    await post(SUBMIT, me, exportOf([{ id: "edit", content: "base" }]));
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => post(SUBMIT, me, exportOf([{ id: "edit", content: `edit ${i}`, baseVersion: 1 }]))),
    );
    const statuses = answers.map((a) => a.body.results[0].status);
    expect(statuses.filter((s) => s === "updated")).toHaveLength(1);
    expect(statuses.filter((s) => s === "conflict")).toHaveLength(19);
    expect((await postsOf(me.uid))[0]?.version).toBe(2);
  });
});

describe("GET /api/manifest/list", () => {
  it("public posts for everyone, private ones only for their author", async () => {
    const [a, b] = [await login(), await login()];
    await post(
      SUBMIT,
      a,
      exportOf([
        { id: "pub", title: "T", content: "public", tags: ["x"], initials: "A", createdAt: "2026-01-02T03:04:05.000Z" },
        { id: "priv", content: "private", visibility: "private" },
      ]),
    );
    const anon = await get(LIST, null, { author: a.uid });
    expect(anon.status).toBe(200);
    expect(anon.body.posts.map((p: { clientId: string }) => p.clientId)).toEqual(["pub"]);
    expect(anon.body.posts[0]).toMatchObject({
      clientId: "pub",
      authorUid: a.uid,
      source: "manifest-of-thinkers-offline",
      type: "post",
      visibility: "public",
      title: "T",
      content: "public",
      tags: ["x"],
      initials: "A",
      meta: {},
      version: 1,
      createdAt: "2026-01-02T03:04:05.000Z",
    });
    const other = await get(LIST, b, { author: a.uid });
    expect(other.body.posts.map((p: { clientId: string }) => p.clientId)).toEqual(["pub"]);
    const own = await get(LIST, a, { author: a.uid });
    expect(own.body.posts.map((p: { clientId: string }) => p.clientId).sort()).toEqual(["priv", "pub"]);
  });

  it("filters by type and since, and pages with a cursor without gaps or repeats", async () => {
    const me = await login();
    const posts = Array.from({ length: 7 }, (_, i) => ({ id: `n${i}`, content: `c${i}`, type: i % 2 ? "note" : "post" }));
    await post(SUBMIT, me, exportOf(posts));
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await get(LIST, me, { author: me.uid, limit: 3, cursor });
      expect(page.status).toBe(200);
      seen.push(...page.body.posts.map((p: { clientId: string }) => p.clientId));
      cursor = page.body.nextCursor ?? undefined;
      if (!cursor) break;
    }
    expect(seen.sort()).toEqual(posts.map((p) => p.id).sort());
    const notes = await get(LIST, me, { author: me.uid, type: "note" });
    expect(notes.body.posts.map((p: { clientId: string }) => p.clientId).sort()).toEqual(["n1", "n3", "n5"]);
    const future = await get(LIST, me, { author: me.uid, since: new Date(Date.now() + 60_000).toISOString() });
    expect(future.body.posts).toEqual([]);
    const past = await get(LIST, me, { author: me.uid, since: String(Date.now() - 60_000) });
    expect(past.body.posts).toHaveLength(7);
  });

  it("keeps the offline forum's own post fields and returns them", async () => {
    const me = await login();
    const forum = {
      id: "forum-1",
      title: "Aus dem Forum",
      content: "Text",
      createdAt: 1_767_261_600_000,
      initials: "MK",
      tags: ["hypothek"],
      reactions: { like: 3 },
      comments: [{ text: "Danke", initials: "AB" }],
      logoUrl: "https://example.org/logo.png",
    };
    const res = await post(SUBMIT, me, exportOf([forum]));
    expect(res.body.results[0]).toMatchObject({ status: "created" });
    const listed = await get(LIST, null, { author: me.uid });
    expect(listed.body.posts[0]).toMatchObject({
      clientId: "forum-1",
      reactions: { like: 3 },
      comments: [{ text: "Danke", initials: "AB" }],
      logoUrl: "https://example.org/logo.png",
      createdAt: new Date(1_767_261_600_000).toISOString(),
    });
    expect(listed.body.posts[0]).not.toHaveProperty("identity");
  });

  it("refuses a forged cursor and bad filters", async () => {
    const bad = await get(LIST, null, { cursor: "bm90IGEgY3Vyc29y" });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe("invalid_cursor");
    const since = await get(LIST, null, { since: "yesterday" });
    expect(since.body.code).toBe("validation_failed");
    const author = await get(LIST, null, { author: "not a uid!" });
    expect(author.body.code).toBe("validation_failed");
    const unknown = await json(`${LIST}?foo=1`);
    expect(unknown.body.code).toBe("validation_failed");
  });

  it("an unknown author lists nothing", async () => {
    const res = await get(LIST, null, { author: newUid() });
    expect(res.body).toEqual({ ok: true, posts: [], nextCursor: null });
  });
});
