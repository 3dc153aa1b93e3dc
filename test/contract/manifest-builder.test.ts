/**
 * The offline manifest builder (src/dev/manifest.ts) against the server's link check: the built
 * file carries its own channel's secret and nothing else, it is self-contained, and the signing
 * code inside it (run here in Node with WebCrypto, as the browser would) produces links that
 * `verifyLink` accepts for its channel only. Its uid generator and its posts export follow the
 * server's rules too.
 */
import { describe, expect, it } from "vitest";
import { buildManifest } from "../../src/dev/manifest";
import { channelSecret, verifyLink } from "../../src/identity/link";
import { UID_PATTERN } from "../../src/identity/schemas";
import { ManifestPost, SubmitBody } from "../../src/manifest/schemas";

const MASTER = "test-master-secret-0123456789abcdef";
const OTHER_MASTER = "another-master-secret-0123456789ab";

interface ManifestCode {
  CONFIG: { portal: string; mot: string; key: string; builtAt: string };
  newUid(): string;
  portalLink(config: ManifestCode["CONFIG"], uid: string, ts: number): Promise<string>;
  exportEnvelope(posts: unknown[]): unknown;
}

/** The manifest's inline script, evaluated without a DOM (its page wiring runs only with `document`). */
function manifestCode(html: string): ManifestCode {
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)];
  expect(scripts).toHaveLength(1);
  const code = scripts[0]?.[1] ?? "";
  return new Function(`${code}\nreturn { CONFIG, newUid, portalLink, exportEnvelope };`)() as ManifestCode;
}

/** The signed fields of a portal link's hash. */
function linkFields(url: string) {
  const u = new URL(url);
  const p = new URLSearchParams(u.hash.slice(1));
  return { origin: u.origin, mot: p.get("mot") ?? "", uid: p.get("uid") ?? "", ts: Number(p.get("ts")), sig: p.get("sig") ?? "" };
}

describe("offline manifest builder", () => {
  it("holds the secret of its own channel only, never the master secret, and loads nothing from elsewhere", async () => {
    const html = await buildManifest({ master: MASTER, mot: "channel-a", portal: "https://portal.example/" });
    expect(html).toContain(await channelSecret(MASTER, "channel-a"));
    expect(html).not.toContain(MASTER);
    expect(html).not.toContain(await channelSecret(MASTER, "channel-b"));
    // Self-contained: no external script, stylesheet, image or frame.
    expect(html).not.toMatch(/<(script|img|iframe)[^>]*\ssrc=/i);
    expect(html).not.toMatch(/<link[^>]*\shref=/i);
    const { CONFIG } = manifestCode(html);
    expect(CONFIG).toMatchObject({
      portal: "https://portal.example",
      mot: "channel-a",
      key: await channelSecret(MASTER, "channel-a"),
    });
  });

  it("signs links that the server's verifyLink accepts for its channel, and only for it", async () => {
    const html = await buildManifest({ master: MASTER, mot: "channel-a", portal: "https://portal.example" });
    const m = manifestCode(html);
    const uid = m.newUid();
    const ts = 1_800_000_000_000;
    const link = linkFields(await m.portalLink(m.CONFIG, uid, ts));
    expect(link).toMatchObject({ origin: "https://portal.example", mot: "channel-a", uid, ts });
    await expect(verifyLink(link, [MASTER], ts + 1000)).resolves.toBeUndefined();
    // During a rotation the old master is the previous secret: still accepted.
    await expect(verifyLink(link, [OTHER_MASTER, MASTER], ts)).resolves.toBeUndefined();
    // Another master secret, or the same signature claimed for another channel: refused.
    await expect(verifyLink(link, [OTHER_MASTER], ts)).rejects.toMatchObject({ code: "invalid_signature" });
    await expect(verifyLink({ ...link, mot: "channel-b" }, [MASTER], ts)).rejects.toMatchObject({ code: "invalid_signature" });
    // A revoked channel is refused even with a genuine signature.
    await expect(verifyLink(link, [MASTER], ts, { revoked: new Set(["channel-a"]) })).rejects.toMatchObject({
      code: "link_revoked",
    });
  });

  it("makes 128-bit uids: 22 base62 characters, valid for the server, all different", async () => {
    const m = manifestCode(await buildManifest({ master: MASTER, mot: "channel-a", portal: "http://localhost:8788" }));
    const uids = Array.from({ length: 200 }, () => m.newUid());
    for (const uid of uids) {
      expect(uid).toMatch(/^[0-9A-Za-z]{22}$/);
      expect(UID_PATTERN.test(uid)).toBe(true);
    }
    expect(new Set(uids).size).toBe(uids.length);
    // Leading digits vary: the fixed width is padding of a 128-bit number, not a constant prefix.
    expect(new Set(uids.map((u) => u[0])).size).toBeGreaterThan(1);
  });

  it("exports posts in the shape the manifest sync accepts", async () => {
    const m = manifestCode(await buildManifest({ master: MASTER, mot: "channel-a", portal: "http://localhost:8788" }));
    const now = new Date().toISOString();
    const envelope = m.exportEnvelope([
      { clientId: "p-abc123", title: "", content: "Hallo", tags: [], createdAt: now, updatedAt: now },
      { clientId: "p-def456", title: "Titel", content: "Text", tags: ["a", "b"], createdAt: now, updatedAt: now },
    ]);
    const parsed = SubmitBody.parse(envelope);
    for (const post of parsed.posts) expect(ManifestPost.safeParse(post).success).toBe(true);
  });

  it("refuses a mot the server would refuse and a portal that is not http(s)", async () => {
    await expect(buildManifest({ master: MASTER, mot: "a.b", portal: "https://p.example" })).rejects.toThrow(/--mot/);
    await expect(buildManifest({ master: MASTER, mot: "ok", portal: "javascript:alert(1)" })).rejects.toThrow(/--portal/);
    await expect(buildManifest({ master: "", mot: "ok", portal: "https://p.example" })).rejects.toThrow(/master/);
  });
});
