/**
 * The backend Worker's own fetch: it serves `POST /api/contracts/upload` (for a zone route on the
 * portal's host) with the Pages route's declaration and pipeline, against the same D1 and bucket,
 * and nothing else — no other API route and never a Room.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { checkContract, login, testEnv } from "../support/client";
import { BOUNDARY, PDF, fileParts, multipart } from "../support/multipart";
import { type Who, count, row } from "../support/voucher-kit";

const UPLOAD = "/api/contracts/upload";
const backend = (env as unknown as { BACKEND: Fetcher }).BACKEND;

/** Sends a request to the backend Worker; every answer is checked against the OpenAPI document. */
async function viaWorker(method: string, path: string, init: RequestInit = {}) {
  const res = await backend.fetch(`https://portal.example${path}`, { method, ...init });
  if (path === UPLOAD) await checkContract(method, UPLOAD, res);
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
}

const uploadVia = (who: Who | null, body: Uint8Array, headers: Record<string, string> = {}) =>
  viaWorker("POST", UPLOAD, {
    headers: {
      "content-type": `multipart/form-data; boundary=${BOUNDARY}`,
      ...(who ? { authorization: `Bearer ${who.session}` } : {}),
      ...headers,
    },
    body,
  });

describe("the backend Worker's upload route", () => {
  it("stores a document as the Pages route does; the Pages routes list and serve it back with its hash", async () => {
    const a = await login();
    const res = await uploadVia(a, multipart(fileParts(PDF, [{ name: "name", value: "Über Worker" }])));
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toContain("no-store");
    expect(res.headers.get("x-request-id")).toBeTruthy();
    const c = res.body.contract;
    expect(c).toMatchObject({ name: "Über Worker", mimeType: "application/pdf", byteSize: PDF.length, createdBy: a.uid });
    expect(await row("SELECT status FROM contracts WHERE id = ?", c.id)).toEqual({ status: "stored" });
    expect(await count("events", "type = 'contract.upload' AND subject_id = ?", c.id)).toBe(1);

    const listed = await app.request(
      `http://localhost/api/contracts/list`,
      { headers: { authorization: `Bearer ${a.session}` } },
      testEnv,
    );
    expect(((await listed.json()) as { items: Array<{ id: string }> }).items.map((i) => i.id)).toContain(c.id);
    const got = await app.request(
      `http://localhost${c.downloadUrl}`,
      { headers: { authorization: `Bearer ${a.session}` } },
      testEnv,
    );
    expect(got.status).toBe(200);
    expect(got.headers.get("etag")).toBe(`"${c.hashSha256}"`);
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(PDF);
  });

  it("keeps the route's rules: no session → 401, a foreign Origin on a cookie → 403, nothing stored", async () => {
    const a = await login();
    const before = await count("contracts", "created_by = ?", a.uid);
    const anonymous = await uploadVia(null, multipart(fileParts(PDF)));
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.code).toBe("unauthenticated");
    const forged = await viaWorker("POST", UPLOAD, {
      headers: {
        "content-type": `multipart/form-data; boundary=${BOUNDARY}`,
        cookie: `ts_session=${a.session}`,
        origin: "https://evil.example",
      },
      body: multipart(fileParts(PDF)),
    });
    expect(forged.status).toBe(403);
    expect(typeof forged.body.code).toBe("string");
    expect(await count("contracts", "created_by = ?", a.uid)).toBe(before);
  });

  it("serves nothing else: other API paths are JSON 404, another method 405, and no request reaches a Room", async () => {
    const a = await login();
    const auth = { authorization: `Bearer ${a.session}` };
    for (const path of ["/api/voucher/book", "/api/contracts/list", "/api/rooms/honeycomb:lobby/ws", "/ws", "/"]) {
      const res = await viaWorker("POST", path, {
        headers: { ...auth, "content-type": "application/json", "x-room-uid": a.uid, "x-room-id": "honeycomb:lobby" },
        body: "{}",
      });
      expect(res.status, path).toBe(404);
      expect(res.body.code, path).toBe("not_found");
    }
    const upgrade = await backend.fetch("https://portal.example/api/rooms/honeycomb:lobby/ws", {
      headers: { upgrade: "websocket", "x-room-uid": a.uid, "x-room-id": "honeycomb:lobby" },
    });
    expect(upgrade.status).toBe(404);
    expect(upgrade.webSocket).toBeNull();
    const get = await viaWorker("GET", UPLOAD, { headers: auth });
    expect(get.status).toBe(405);
    expect(get.body.code).toBe("method_not_allowed");
  });
});
