/**
 * Where a request comes from (`requestSite`) and the allowed-origins setting: the facts the CSRF
 * steps decide on.
 */
import { describe, expect, it } from "vitest";
import { parseOrigins } from "../../src/core/config";
import { crossSiteCookie, requestSite } from "../../src/http/origin";

const req = (headers: Record<string, string>, url = "https://ts.example/api/voucher/issue") =>
  new Request(url, { method: "POST", headers });

describe("requestSite", () => {
  it("the site's own origin, or an allowed one, is same; anything else named is cross", () => {
    expect(requestSite(req({ origin: "https://ts.example" }), [])).toBe("same");
    expect(requestSite(req({ origin: "https://portal.example" }), ["https://portal.example"])).toBe("same");
    for (const origin of [
      "https://evil.example",
      "null",
      "http://ts.example",
      "https://ts.example:444",
      "https://ts.example.evil",
      "",
    ]) {
      expect(requestSite(req({ origin }), []), origin).toBe("cross");
    }
  });

  it("without Origin, Sec-Fetch-Site decides; without either, unknown", () => {
    expect(requestSite(req({ "sec-fetch-site": "same-origin" }), [])).toBe("same");
    expect(requestSite(req({ "sec-fetch-site": "same-site" }), [])).toBe("cross");
    expect(requestSite(req({ "sec-fetch-site": "cross-site" }), [])).toBe("cross");
    expect(requestSite(req({ "sec-fetch-site": "none" }), [])).toBe("unknown");
    expect(requestSite(req({}), [])).toBe("unknown");
  });

  it("Origin wins over Sec-Fetch-Site", () => {
    expect(requestSite(req({ origin: "https://evil.example", "sec-fetch-site": "same-origin" }), [])).toBe("cross");
  });
});

describe("crossSiteCookie (WebSocket upgrades)", () => {
  it("only a cookie session from a cross-site page", () => {
    const evil = { origin: "https://evil.example" };
    expect(crossSiteCookie(req({ ...evil, cookie: "a=1; ts_session=s1.x" }), [])).toBe(true);
    expect(crossSiteCookie(req({ ...evil, cookie: "ts_session_other=1" }), [])).toBe(false);
    expect(crossSiteCookie(req({ ...evil, cookie: "ts_session=s1.x", authorization: "Bearer s1.x" }), [])).toBe(false);
    expect(crossSiteCookie(req({ origin: "https://ts.example", cookie: "ts_session=s1.x" }), [])).toBe(false);
    expect(crossSiteCookie(req({ cookie: "ts_session=s1.x" }), [])).toBe(false);
  });
});

describe("ALLOWED_ORIGINS", () => {
  it("keeps bare http(s) origins, normalized; drops everything else", () => {
    expect(parseOrigins(" https://a.example , http://localhost:8788,https://b.example/ ")).toEqual([
      "https://a.example",
      "http://localhost:8788",
      "https://b.example",
    ]);
    for (const bad of ["a.example", "https://a.example/path", "ftp://a.example", "javascript:alert(1)", "*", "null"]) {
      expect(parseOrigins(bad), bad).toEqual([]);
    }
    expect(parseOrigins(undefined)).toEqual([]);
  });
});

describe("empty path segments (the API's Pages middleware)", () => {
  it("finds every empty segment and nothing else", async () => {
    const { hasEmptySegment } = await import("../../src/http/app");
    for (const p of ["/api/rooms//ws", "/api//", "/api/", "//api", "/api/voucher/list/"])
      expect(hasEmptySegment(p), p).toBe(true);
    for (const p of ["/api/voucher/list", "/api/rooms/wabe:A-2/ws", "/ws", "/api"]) expect(hasEmptySegment(p), p).toBe(false);
  });

  /** The middleware run on a request like the copy Pages hands it, with a body that records a cancel. */
  async function runMiddleware(path: string) {
    const { apiMiddleware } = await import("../../src/http/app");
    let cancelled = false;
    let nextCalls = 0;
    const body = new ReadableStream<Uint8Array>({
      cancel() {
        cancelled = true;
      },
    });
    const request = new Request(`https://portal.example${path}`, { method: "POST", body });
    const ctx = {
      request,
      env: {},
      params: {},
      data: {},
      functionPath: path,
      waitUntil: () => {},
      passThroughOnException: () => {},
      next: async () => {
        nextCalls++;
        return new Response("route");
      },
    } as unknown as Parameters<ReturnType<typeof apiMiddleware>>[0];
    const res = await apiMiddleware()(ctx);
    return { res, cancelled, nextCalls };
  }

  it("passes a request on with its own copy of the body cancelled (an unread copy would buffer every byte)", async () => {
    const { res, cancelled, nextCalls } = await runMiddleware("/api/contracts/upload");
    expect(nextCalls).toBe(1);
    expect(await res.text()).toBe("route");
    expect(cancelled).toBe(true);
  });

  it("answers a path with an empty segment itself, a JSON 404, without passing it on", async () => {
    const { res, nextCalls } = await runMiddleware("/api//contracts/upload");
    expect(nextCalls).toBe(0);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe("not_found");
  });
});
