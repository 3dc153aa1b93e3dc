/**
 * Fixtures for the mortgage API tests: parties, properties, applications, offers and contracts
 * written straight into the test's real D1, so each route's test can start from the state it
 * needs without driving every earlier step through the API (the end-to-end test does that).
 * Rows satisfy every constraint of the schema; the figures are the worked example's
 * (36 000 000 at 3.2 % nominal, 2 % initial repayment → 156 000 a month).
 */
import { newUid, testEnv } from "./client";

const DAY = 86_400_000;
let seq = 0;
/** A unique id with a readable prefix (valid as a room subject). */
export const fixtureId = (prefix: string) =>
  `${prefix}-${Date.now().toString(36)}-${(seq++).toString(36)}-${newUid("x").slice(-6)}`;

const run = (query: string, ...binds: unknown[]) =>
  testEnv.DB.prepare(query)
    .bind(...binds)
    .run();

/** Grants `uid` a party role (as `PUT /api/admin/parties/:uid` would). */
export async function grantRole(uid: string, role: "lender" | "notary", displayName = `Party ${uid.slice(0, 6)}`) {
  const now = Date.now();
  await run(
    "INSERT OR IGNORE INTO parties (uid, display_name, created_at, updated_at) VALUES (?, ?, ?, ?)",
    uid,
    displayName,
    now,
    now,
  );
  await run("INSERT OR IGNORE INTO party_roles (uid, role, granted_at) VALUES (?, ?, ?)", uid, role, now);
}

/** Inserts a property owned by `ownerUid`: 45 000 000 price, 9 000 000 own capital, EUR. */
export async function insertProperty(
  ownerUid: string,
  over: { id?: string; price?: number; capital?: number; currency?: string } = {},
) {
  const id = over.id ?? fixtureId("house");
  const now = Date.now();
  await run(
    `INSERT INTO properties (id, owner_uid, type, address, purchase_price_amount, own_capital_amount, currency, meta, created_at, updated_at)
     VALUES (?, ?, 'single-family-house', ?, ?, ?, ?, '{}', ?, ?)`,
    id,
    ownerUid,
    JSON.stringify({ street: "Musterstraße 1", zip: "12345", city: "Musterstadt", country: "DE" }),
    over.price ?? 45_000_000,
    over.capital ?? 9_000_000,
    over.currency ?? "EUR",
    now,
    now,
  );
  return id;
}

/** Inserts an application (and its property) by `borrowerUid`: 36 000 000 EUR, 20 years, fixed. */
export async function insertApplication(
  borrowerUid: string,
  over: {
    id?: string;
    visibility?: "private" | "market";
    status?: "open" | "offered" | "withdrawn";
    loan?: number;
    maxInterestPpm?: number | null;
    sharedWith?: string[];
    meta?: Record<string, unknown>;
  } = {},
) {
  const propertyId = await insertProperty(borrowerUid);
  const id = over.id ?? fixtureId("app");
  const now = Date.now();
  await run(
    `INSERT INTO mortgage_applications (id, property_id, borrower_uid, loan_amount, currency, duration_years, rate_type,
       max_interest_ppm, status, visibility, meta, accepted_offer_id, submitted_at, created_at, updated_at)
     VALUES (?, ?, ?, ?, 'EUR', 20, 'fixed', ?, ?, ?, ?, NULL, ?, ?, ?)`,
    id,
    propertyId,
    borrowerUid,
    over.loan ?? 36_000_000,
    over.maxInterestPpm === undefined ? 40_000 : over.maxInterestPpm,
    over.status ?? "open",
    over.visibility ?? "market",
    JSON.stringify(over.meta ?? { employmentStatus: "employee", netIncomeMonthly: 380_000, otherLoans: [] }),
    now,
    now,
    now,
  );
  for (const lender of over.sharedWith ?? []) {
    await run(
      "INSERT INTO mortgage_application_lenders (application_id, lender_uid, created_at) VALUES (?, ?, ?)",
      id,
      lender,
      now,
    );
  }
  return { id, propertyId };
}

/** Inserts an open offer by `lenderUid` on an application, with the worked example's figures. */
export async function insertOffer(
  app: { id: string; borrowerUid: string },
  lenderUid: string,
  over: { id?: string; validUntil?: number; status?: string; loan?: number } = {},
) {
  const id = over.id ?? fixtureId("mort-offer");
  const now = Date.now();
  const terms = {
    repayment: { specialPaymentsAllowed: true, specialPaymentMaxPerYear: 500_000 },
    fees: { processingFee: 60_000, valuationFee: 30_000, otherFees: [] },
    figures: {
      numberOfPayments: 359,
      lastPayment: 0,
      totalPaid: 55_971_947,
      totalInterest: 19_971_947,
      remainingDebtAtFixedEnd: 22_161_546,
      fixedPeriodPayments: 180,
    },
  };
  await run(
    `INSERT INTO mortgage_offers (id, application_id, lender_uid, borrower_uid, loan_amount, currency, nominal_rate_ppm,
       initial_repayment_ppm, fixed_years, monthly_payment, upfront_fees, effective_rate_ppm, stated_effective_rate_ppm,
       terms, terms_ref, valid_from, valid_until, status, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, 'EUR', 32000, 20000, 15, 156000, 90000, 32678, NULL, ?, NULL, ?, ?, ?, ?, ?)`,
    id,
    app.id,
    lenderUid,
    app.borrowerUid,
    over.loan ?? 36_000_000,
    JSON.stringify(terms),
    now - 1000,
    over.validUntil ?? now + 14 * DAY,
    over.status ?? "offered",
    now,
    now,
  );
  return id;
}

/**
 * Inserts an application, an accepted offer and its contract (status `draft` unless given, with
 * the signatures a later status implies).
 */
export async function insertContract(
  borrowerUid: string,
  lenderUid: string,
  over: { status?: "draft" | "pending-notary" | "signed" | "cancelled"; notaryUid?: string | null; loan?: number } = {},
) {
  const loan = over.loan ?? 36_000_000;
  const app = await insertApplication(borrowerUid, { loan });
  const offerId = await insertOffer({ id: app.id, borrowerUid }, lenderUid, { status: "accepted", loan });
  const now = Date.now();
  await run("UPDATE mortgage_applications SET status = 'accepted', accepted_offer_id = ? WHERE id = ?", offerId, app.id);
  const id = fixtureId("mort-contract");
  const status = over.status ?? "draft";
  const bothSigned = status === "pending-notary" || status === "signed";
  const notary = over.notaryUid ?? null;
  await run(
    `INSERT INTO mortgage_contracts (id, offer_id, application_id, lender_uid, borrower_uid, notary_uid, loan_amount, currency,
       status, signed_by_borrower_at, signed_by_lender_at, signed_by_notary_at, cancelled_by, tranched_amount,
       document_refs, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, 'EUR', ?, ?, ?, ?, NULL, 0, '{}', ?, ?)`,
    id,
    offerId,
    app.id,
    lenderUid,
    borrowerUid,
    notary,
    loan,
    status,
    bothSigned ? now : null,
    bothSigned ? now : null,
    status === "signed" ? now : null,
    now,
    now,
  );
  return { id, offerId, applicationId: app.id };
}
