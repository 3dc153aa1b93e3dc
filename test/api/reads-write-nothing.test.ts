/**
 * Reads write nothing: every GET route, called the way a client calls it (with a session, the
 * admin token, or anonymously), leaves every table exactly as it was — no rate-limit counter, no
 * idempotency record, nothing. (Room sockets are refused here before an upgrade: entering a room
 * registers it, which is a write by design.)
 */
import { describe, expect, it } from "vitest";
import { allRoutes } from "../../src/app";
import { call, issueVoucher, login } from "../support/client";
import { dbSnapshot } from "../support/db-snapshot";
import { ADMIN } from "../support/settlement-kit";

describe("GET routes", () => {
  it("leave the database unchanged, and the limiter still answers", async () => {
    const me = await login();
    const { voucher } = await issueVoucher(me);
    const params: Record<string, string> = { roomId: `voucher:${voucher.voucherId}`, id: "stl-none", uid: me.uid };
    const gets = allRoutes.filter((r) => r.method === "GET");
    expect(gets.length).toBeGreaterThan(10);
    const before = await dbSnapshot();
    for (const route of gets) {
      const path = route.path.replace(/:(\w+)/g, (_m, name: string) => encodeURIComponent(params[name] ?? "x"));
      const query = route.id === "slots.available" ? `?voucherId=${voucher.voucherId}` : "";
      const headers = route.auth === "admin" ? ADMIN : { authorization: `Bearer ${me.session}` };
      const res = await call(`${path}${query}`, { headers });
      expect(res.status, `${route.id} answered ${res.status}`).toBeLessThan(500);
      await res.arrayBuffer();
    }
    expect(await dbSnapshot()).toEqual(before);
  });
});
