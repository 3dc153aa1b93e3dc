/**
 * `GET /api/slots/available?format=compact`: the same page as the full answer, as start instants
 * only, so a client can rebuild every full item by the documented rule.
 */
import { describe, expect, it } from "vitest";
import { issueVoucher, json, login, slotAt } from "../support/client";

describe("slots format=compact", () => {
  it("lists exactly the full answer's page (starts, next slot), for any page size", async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer, { durationMinutes: 45 }, 30);
    const booked = await json("/api/voucher/book", {
      session: holder.session,
      body: { voucherId: voucher.voucherId, slotId: slotAt(validFrom, 3), holderUid: holder.uid },
    });
    expect(booked.status).toBe(200);
    for (const limit of [1, 7, 1000]) {
      const base = `/api/slots/available?voucherId=${voucher.voucherId}&limit=${limit}`;
      const full = await json(base);
      const compact = await json(`${base}&format=compact`);
      expect(full.status).toBe(200);
      expect(compact.status).toBe(200);
      expect(compact.body).toEqual({
        ok: true,
        voucherId: voucher.voucherId,
        durationMinutes: 45,
        starts: full.body.items.map((i: { start: string }) => i.start),
        nextSlotId: full.body.nextSlotId,
      });
      // The rule a compact client applies gives back every full item.
      const rebuilt = compact.body.starts.map((start: string) => ({
        slotId: `slot-${start}`,
        voucherId: compact.body.voucherId,
        start,
        end: new Date(Date.parse(start) + 45 * 60_000).toISOString(),
      }));
      expect(rebuilt).toEqual(full.body.items);
    }
    expect((await json(`/api/slots/available?voucherId=${voucher.voucherId}&format=compact`)).body.starts).not.toContain(
      slotAt(validFrom, 3).slice("slot-".length),
    );
  });

  it("refuses an unknown format (400 validation_failed)", async () => {
    const r = await json("/api/slots/available?voucherId=v-x&format=tiny");
    expect([r.status, r.body.code]).toEqual([400, "validation_failed"]);
  });
});
