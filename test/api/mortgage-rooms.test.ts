/**
 * `mortgage:<object>:<id>` rooms admit exactly the parties of the object: tickets (and the socket
 * upgrade behind them) for parties, 403 `not_allowed` for everyone else and for ids naming nothing.
 */
import { describe, expect, it } from "vitest";
import { login, testEnv } from "../support/client";
import { grantRole, insertApplication, insertContract, insertOffer } from "../support/mortgage-kit";
import { ticketFor, upgrade } from "../support/sockets";

const enc = encodeURIComponent;

async function cast() {
  const [borrower, lender, invited, offering, notary, investor, stranger] = [
    await login(),
    await login(),
    await login(),
    await login(),
    await login(),
    await login(),
    await login(),
  ];
  for (const l of [lender, invited, offering]) await grantRole(l.uid, "lender");
  await grantRole(notary.uid, "notary");
  const k = await insertContract(borrower.uid, lender.uid, { status: "signed", notaryUid: notary.uid });
  const app = await insertApplication(borrower.uid, { sharedWith: [invited.uid] });
  const offerId = await insertOffer({ id: app.id, borrowerUid: borrower.uid }, offering.uid);
  const trancheId = `mort-tranche-${k.id}`;
  const now = Date.now();
  await testEnv.DB.prepare(
    `INSERT INTO mortgage_tranches (id, contract_id, underlying_offer_id, lender_uid, holder_uid, nominal_amount, currency,
       expected_yield_ppm, risk_class, duration_years, valid_from, valid_until, status, subscribed_at, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, 1000000, 'EUR', 28000, 'A', 10, ?, ?, 'subscribed', ?, ?, ?)`,
  )
    .bind(trancheId, k.id, k.offerId, lender.uid, investor.uid, now - 1, now + 86_400_000, now, now, now)
    .run();
  return { borrower, lender, invited, offering, notary, investor, stranger, k, app, offerId, trancheId };
}

describe("mortgage rooms", () => {
  it("admit exactly the parties of each object", async () => {
    const c = await cast();
    const cases: Array<[string, Array<{ session: string }>, Array<{ session: string }>]> = [
      [`mortgage:property:${c.app.propertyId}`, [c.borrower, c.invited, c.offering], [c.lender, c.notary, c.stranger]],
      [`mortgage:application:${c.app.id}`, [c.borrower, c.invited, c.offering], [c.lender, c.notary, c.investor, c.stranger]],
      [`mortgage:offer:${c.offerId}`, [c.borrower, c.offering], [c.invited, c.lender, c.stranger]],
      [`mortgage:contract:${c.k.id}`, [c.borrower, c.lender, c.notary], [c.invited, c.investor, c.stranger]],
      [`mortgage:tranche:${c.trancheId}`, [c.lender, c.investor], [c.borrower, c.notary, c.stranger]],
    ];
    for (const [roomId, allowed, refused] of cases) {
      for (const who of allowed) {
        const res = await ticketFor(who.session, roomId);
        expect(res.status, `${roomId}: ${JSON.stringify(res.body)}`).toBe(200);
      }
      for (const who of refused) {
        const res = await ticketFor(who.session, roomId);
        expect(res.status, roomId).toBe(403);
        expect(res.body.code).toBe("not_allowed");
      }
    }
  });

  it("an id that names no object is refused like a stranger (existence is not revealed)", async () => {
    const me = await login();
    for (const object of ["property", "application", "offer", "contract", "tranche"]) {
      const res = await ticketFor(me.session, `mortgage:${object}:nothing-here`);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe("not_allowed");
    }
  });

  it("a party's socket opens; a stranger's upgrade is refused before the room exists", async () => {
    const c = await cast();
    const roomId = `mortgage:contract:${c.k.id}`;
    const ok = await upgrade(`/api/rooms/${enc(roomId)}/ws`, c.notary.session);
    expect(ok.status).toBe(101);
    ok.webSocket?.accept();
    ok.webSocket?.close();
    expect((await upgrade(`/api/rooms/${enc(roomId)}/ws`, c.stranger.session)).status).toBe(403);
  });
});
