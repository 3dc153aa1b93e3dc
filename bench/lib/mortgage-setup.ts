/**
 * Setup of the mortgage accept workload, through the API: a lender (role granted by the admin
 * API), one borrower per client with one property each, and a pool of applications that each
 * carry exactly one open offer — every accept then closes a fresh application.
 */
import { type Identity, type PostBody, postJson } from "./setup";

const DAY = 86_400_000;

/** Grants `roles` to `uid` through `PUT /api/admin/parties/{uid}` (admin bearer token). Throws on a non-200. */
export async function grantParty(
  base: string,
  adminToken: string,
  uid: string,
  roles: Array<"lender" | "notary">,
  displayName: string,
): Promise<void> {
  const res = await fetch(`${base}/api/admin/parties/${encodeURIComponent(uid)}`, {
    method: "PUT",
    headers: { "content-type": "application/json", authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({ roles, displayName }),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`PUT /api/admin/parties/${uid} → ${res.status}: ${text.slice(0, 500)}`);
}

/** A property the loan of every application fits: 450,000.00 EUR price, 90,000.00 own capital. */
export const PROPERTY_BODY: PostBody<"/api/hypotheken/property"> = {
  type: "single-family-house",
  address: { street: "Benchstraße 1", zip: "12345", city: "Benchstadt", country: "DE" },
  purchasePrice: { amount: 45_000_000, currency: "EUR" },
  ownCapital: { amount: 9_000_000, currency: "EUR" },
};

/** A market application (visible to every lender) for 360,000.00 EUR on `propertyId`. */
export function applicationBody(propertyId: string): PostBody<"/api/hypotheken/anfrage"> {
  return {
    propertyId,
    desiredLoan: { amount: 36_000_000, currency: "EUR" },
    desiredDurationYears: 20,
    desiredRateType: "fixed",
    maxInterestRate: 0.04,
    visibility: "market",
  };
}

/** The worked example's offer on `applicationId`: 360,000.00 EUR at 3.2 % nominal, 2 % initial repayment, 15 years fixed. */
export function offerBody(applicationId: string, now: number): PostBody<"/api/hypotheken/angebot"> {
  return {
    applicationId,
    loan: { amount: 36_000_000, currency: "EUR" },
    interest: { nominalRate: 0.032, fixedYears: 15 },
    repayment: { initialRate: 0.02 },
    validity: { validUntil: new Date(now + 7 * DAY).toISOString() },
  };
}

/** One open offer and the borrower who may accept it. */
export interface OpenOffer {
  voucherId: string;
  borrower: Identity;
}

/**
 * Open offers to accept, filled through the API in steps ({@link AcceptPool.fill}) so the bench
 * prepares about as many as the workload consumes: making one (application + offer) costs about
 * three accepts, so a fixed budget either wastes a minute or runs dry on a fast run.
 */
export class AcceptPool {
  private readonly open: OpenOffer[] = [];
  private taken = 0;
  /** Offers made so far. */
  made = 0;
  /** Time spent making them, ms (not measured). */
  ms = 0;

  private constructor(
    private readonly base: string,
    private readonly lender: Identity,
    /** One borrower per client, each with its own property. */
    readonly borrowers: readonly Identity[],
    private readonly propertyIds: readonly string[],
    private readonly now: number,
  ) {}

  /** Registers one property per borrower (the lender must already hold the lender role). */
  static async create(base: string, lender: Identity, borrowers: readonly Identity[], now: number): Promise<AcceptPool> {
    const started = Date.now();
    const propertyIds = await Promise.all(
      borrowers.map(
        async (b) => (await postJson(base, "/api/hypotheken/property", { body: PROPERTY_BODY, session: b.session })).propertyId,
      ),
    );
    const pool = new AcceptPool(base, lender, borrowers, propertyIds, now);
    pool.ms += Date.now() - started;
    return pool;
  }

  /** Open offers not handed out yet. */
  get left(): number {
    return this.open.length - this.taken;
  }

  /** The next open offer, or null when the pool is empty. */
  take(): OpenOffer | null {
    return this.open[this.taken++] ?? null;
  }

  /**
   * Makes `count` more open offers, one client per borrower: borrower *i* applies (a market
   * application of its own, so each accept closes a fresh one and declines nothing else), then
   * the lender offers on it.
   */
  async fill(count: number): Promise<void> {
    const started = Date.now();
    let begun = 0;
    await Promise.all(
      this.borrowers.map(async (borrower, i) => {
        while (begun < count) {
          begun++;
          const app = await postJson(this.base, "/api/hypotheken/anfrage", {
            body: applicationBody(this.propertyIds[i] ?? ""),
            session: borrower.session,
          });
          const offer = await postJson(this.base, "/api/hypotheken/angebot", {
            body: offerBody(app.applicationId, this.now),
            session: this.lender.session,
          });
          this.open.push({ voucherId: offer.voucherId, borrower });
          this.made++;
        }
      }),
    );
    this.ms += Date.now() - started;
  }
}
