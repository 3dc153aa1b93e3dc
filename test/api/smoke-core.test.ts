import { describe, expect, it } from "vitest";
import { issueVoucher, json, login, slotAt } from "../support/client";

describe("core flow", () => {
  it("verifies, issues, books", async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer);
    const r = await json("/api/voucher/book", {
      session: holder.session,
      body: { voucherId: voucher.voucherId, slotId: slotAt(validFrom, 2), holderUid: holder.uid },
    });
    expect(r.status).toBe(200);
    expect(r.body.booking.status).toBe("booked");
  });
});
