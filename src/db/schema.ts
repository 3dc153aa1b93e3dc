/**
 * The whole D1 data model, in drizzle.
 *
 * Conventions, used everywhere:
 * - ids are TEXT (`<prefix>-<time-sortable>`), see `src/db/ids.ts`;
 * - instants are INTEGER epoch milliseconds UTC (`*_at`, `valid_*`, `slot_*`); the API renders ISO-8601;
 * - fiat money is INTEGER minor units with an ISO 4217 currency column;
 * - crypto amounts are TEXT canonical base-10 integers of base units (BigInt in code);
 * - JSON is TEXT, validated by zod at the boundary;
 * - status enums carry CHECK constraints, and invariants live in (partial) unique indexes.
 *
 * @module
 */
import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** `IN (...)` list for a CHECK constraint, from a readonly tuple of literals. */
const oneOf = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(", "));

export const VOUCHER_STATUSES = ["issued", "booked", "consumed", "cancelled", "expired"] as const;
export const BOOKING_STATUSES = ["booked", "cancelled", "rescheduled", "completed"] as const;
export const PRESENCE_STATUSES = ["online", "offline"] as const;
export const ROOM_TYPES = ["text", "video", "file", "contract", "mixed"] as const;
export const APPLICATION_STATUSES = ["open", "offered", "accepted", "withdrawn"] as const;
export const APPLICATION_VISIBILITIES = ["private", "market"] as const;
export const MORTGAGE_RATE_TYPES = ["fixed", "variable"] as const;
export const OFFER_STATUSES = ["offered", "accepted", "declined", "withdrawn", "expired"] as const;
export const CONTRACT_STATUSES = ["draft", "pending-notary", "signed", "cancelled"] as const;
export const TRANCHE_STATUSES = ["offered", "subscribed", "cancelled", "expired"] as const;
export const TRANSFER_STATUSES = ["logged", "settled", "failed"] as const;
export const DOCUMENT_STATUSES = ["pending", "stored", "deleted"] as const;
export const LINK_SUBJECTS = [
  "voucher",
  "room",
  "mortgage_property",
  "mortgage_application",
  "mortgage_offer",
  "mortgage_contract",
  "mortgage_tranche",
] as const;
export const LINK_ROLES = ["primary", "annex", "offer", "application"] as const;
export const POST_VISIBILITIES = ["public", "private"] as const;
export const SETTLEMENT_STATUSES = ["open", "invoiced", "paid"] as const;
export const ROUNDING_MODES = ["half_up", "half_even", "floor", "ceil"] as const;
export const FEE_KINDS = ["charge", "reversal"] as const;

// ── Identity & presence ────────────────────────────────────────────────────────────────────────

/** A person: a browser uid, verified once through a signed manifest link. */
export const thinkers = sqliteTable("thinkers", {
  /** `thinker-<16 hex>`, derived from `public_id`; what presence and rooms show. */
  id: text("id").primaryKey(),
  /** Keyed hash (HMAC) of the uid; the raw uid is never stored here. */
  publicId: text("public_id").notNull().unique(),
  createdAt: integer("created_at").notNull(),
  verifiedAt: integer("verified_at").notNull(),
  /** Set when the thinker was anonymized (right to deletion); the row stays as a tombstone. */
  deletedAt: integer("deleted_at"),
  meta: text("meta").notNull().default("{}"),
  /**
   * Session generation: every session token carries the value current when it was signed, and a
   * request is served only while the row still holds it. Logging out moves it on (all devices end);
   * erasure renames the row (no token finds it). Starts at the creation instant (epoch ms) and only
   * grows, so a row re-created after erasure never matches a token of the erased one.
   */
  sessionGen: integer("session_gen").notNull().default(0),
});

export const presenceSessions = sqliteTable(
  "presence_sessions",
  {
    id: text("id").primaryKey(),
    thinkerId: text("thinker_id").notNull(),
    pairCode: text("pair_code"),
    status: text("status", { enum: PRESENCE_STATUSES }).notNull(),
    roomId: text("room_id"),
    lastSeenAt: integer("last_seen_at").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("ux_presence_thinker").on(t.thinkerId),
    index("ix_presence_pair_seen").on(t.pairCode, t.status, t.lastSeenAt),
    index("ix_presence_seen").on(t.lastSeenAt),
    check("ck_presence_status", sql`${t.status} IN (${oneOf(PRESENCE_STATUSES)})`),
  ],
);

export const rooms = sqliteTable(
  "rooms",
  {
    id: text("id").primaryKey(),
    type: text("type", { enum: ROOM_TYPES }).notNull(),
    ownerUid: text("owner_uid"),
    meta: text("meta").notNull().default("{}"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [check("ck_rooms_type", sql`${t.type} IN (${oneOf(ROOM_TYPES)})`), index("ix_rooms_owner").on(t.ownerUid)],
);

/**
 * Who has entered which room (first and last entry), written with each entry. The Room DOs keep
 * chat history in their own SQLite for at most 7 days; this is how the right to deletion finds
 * the rooms that may hold a person's messages. Rows whose last entry is older than that history
 * are swept (nothing left to find).
 */
export const roomMembers = sqliteTable(
  "room_members",
  {
    roomId: text("room_id").notNull(),
    uid: text("uid").notNull(),
    firstAt: integer("first_at").notNull(),
    lastAt: integer("last_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.roomId, t.uid] }),
    index("ix_room_members_uid").on(t.uid),
    index("ix_room_members_last").on(t.lastAt),
  ],
);

/**
 * Short-lived (30 s), single-use room tickets (`POST /api/rooms/:roomId/ticket`): browsers cannot
 * set headers on a WebSocket upgrade, so they pass `?ticket=`. Only the SHA-256 of the ticket is
 * stored; `DELETE … RETURNING` on use makes it single use. Expired rows are swept on issue.
 */
export const roomTickets = sqliteTable(
  "room_tickets",
  {
    /** SHA-256 hex of the ticket. */
    hash: text("hash").primaryKey(),
    uid: text("uid").notNull(),
    roomId: text("room_id").notNull(),
    expiresAt: integer("expires_at").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("ix_room_tickets_expires").on(t.expiresAt)],
);

/** Single-use record of a verified manifest link (replay → 409). Swept after the link window. */
export const usedLinkNonces = sqliteTable(
  "used_link_nonces",
  {
    /** SHA-256 hex of the signature: unique per link. */
    sigHash: text("sig_hash").primaryKey(),
    uid: text("uid").notNull(),
    ts: integer("ts").notNull(),
    usedAt: integer("used_at").notNull(),
  },
  (t) => [index("ix_link_nonces_used").on(t.usedAt)],
);

/**
 * A device's public key (ECDSA P-256, as a JWK): the portal signs a server challenge with the
 * non-extractable private key to get a new session without a new link. Revoked by the owner
 * (`revoked_at`), by logout everywhere (all of the person's keys) and deleted by erasure.
 */
export const deviceKeys = sqliteTable(
  "device_keys",
  {
    /** `dk-<time>-<random>`: the public handle the portal keeps next to its private key. */
    id: text("id").primaryKey(),
    /** The owner's uid (a device login signs a session for it). */
    uid: text("uid").notNull(),
    thinkerId: text("thinker_id").notNull(),
    /** The public key as a JWK `{kty, crv, x, y}` (JSON text). */
    publicKey: text("public_key").notNull(),
    label: text("label"),
    createdAt: integer("created_at").notNull(),
    lastUsedAt: integer("last_used_at"),
    revokedAt: integer("revoked_at"),
  },
  (t) => [index("ix_device_keys_uid").on(t.uid, t.revokedAt)],
);

/**
 * Single-use record of a device challenge (a second device login with it → 409). The challenge
 * itself is stateless (MAC'd); only its SHA-256 is stored, in the batch of the login.
 */
export const usedDeviceChallenges = sqliteTable(
  "used_device_challenges",
  {
    /** SHA-256 hex of the challenge text. */
    challengeHash: text("challenge_hash").primaryKey(),
    keyId: text("key_id").notNull(),
    usedAt: integer("used_at").notNull(),
  },
  (t) => [index("ix_device_challenges_used").on(t.usedAt)],
);

// ── Vouchers & slots ──────────────────────────────────────────────────────────────────────────

export const voucherTemplates = sqliteTable("voucher_templates", {
  /** e.g. `consulting.session`; the same key as `service_type`. */
  id: text("id").primaryKey(),
  serviceType: text("service_type").notNull(),
  title: text("title").notNull(),
  description: text("description").notNull().default(""),
  defaultDuration: integer("default_duration").notNull(),
  defaultTerms: text("default_terms").notNull().default("{}"),
});

export const vouchers = sqliteTable(
  "vouchers",
  {
    id: text("id").primaryKey(),
    issuerUid: text("issuer_uid").notNull(),
    holderUid: text("holder_uid"),
    templateId: text("template_id"),
    serviceType: text("service_type").notNull(),
    title: text("title").notNull(),
    description: text("description").notNull().default(""),
    durationMinutes: integer("duration_minutes").notNull(),
    validFrom: integer("valid_from").notNull(),
    validUntil: integer("valid_until").notNull(),
    priceAmount: integer("price_amount"),
    priceCurrency: text("price_currency"),
    status: text("status", { enum: VOUCHER_STATUSES }).notNull(),
    transferable: integer("transferable", { mode: "boolean" }).notNull(),
    terms: text("terms").notNull().default("{}"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    check("ck_vouchers_status", sql`${t.status} IN (${oneOf(VOUCHER_STATUSES)})`),
    check("ck_vouchers_validity", sql`${t.validFrom} < ${t.validUntil}`),
    check("ck_vouchers_duration", sql`${t.durationMinutes} BETWEEN 1 AND 1440`),
    check(
      "ck_vouchers_price",
      sql`(${t.priceAmount} IS NULL AND ${t.priceCurrency} IS NULL) OR (${t.priceAmount} BETWEEN 0 AND 9007199254740991 AND length(${t.priceCurrency}) = 3)`,
    ),
    index("ix_vouchers_issuer").on(t.issuerUid, t.createdAt, t.id),
    index("ix_vouchers_holder").on(t.holderUid, t.createdAt, t.id),
    index("ix_vouchers_status_until").on(t.status, t.validUntil),
    index("ix_vouchers_template").on(t.templateId),
  ],
);

export const voucherBookings = sqliteTable(
  "voucher_bookings",
  {
    id: text("id").primaryKey(),
    voucherId: text("voucher_id")
      .notNull()
      .references(() => vouchers.id),
    issuerUid: text("issuer_uid").notNull(),
    holderUid: text("holder_uid").notNull(),
    slotStart: integer("slot_start").notNull(),
    slotEnd: integer("slot_end").notNull(),
    status: text("status", { enum: BOOKING_STATUSES }).notNull(),
    cancelReason: text("cancel_reason"),
    /** First booking of a reschedule chain; fee events hang off it so a reschedule is never charged twice. */
    originBookingId: text("origin_booking_id").notNull(),
    rescheduledFromId: text("rescheduled_from_id"),
    rescheduledToId: text("rescheduled_to_id"),
    createdAt: integer("created_at").notNull(),
    cancelledAt: integer("cancelled_at"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    check("ck_bookings_status", sql`${t.status} IN (${oneOf(BOOKING_STATUSES)})`),
    check("ck_bookings_slot", sql`${t.slotStart} < ${t.slotEnd}`),
    // The two booking invariants, enforced by SQLite, not by read-then-insert code.
    uniqueIndex("ux_bookings_active_voucher").on(t.voucherId).where(sql`status = 'booked'`),
    uniqueIndex("ux_bookings_active_slot").on(t.voucherId, t.slotStart).where(sql`status = 'booked'`),
    index("ix_bookings_voucher").on(t.voucherId, t.createdAt),
    index("ix_bookings_holder").on(t.holderUid, t.createdAt, t.id),
    index("ix_bookings_issuer").on(t.issuerUid, t.createdAt, t.id),
    index("ix_bookings_created").on(t.createdAt),
  ],
);

// ── Legal hub ─────────────────────────────────────────────────────────────────────────────────

/**
 * An uploaded document (the legal hub's "contract"): its bytes live in R2 under `r2_key`, its
 * SHA-256 here. A row is `pending` while its object is being written and `stored` once both exist;
 * the sweep removes pending rows (and their objects) that never completed, and objects without a
 * row. Erasure deletes a document nobody else is linked to (`deleted`, object removed).
 */
export const contracts = sqliteTable(
  "contracts",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    mimeType: text("mime_type").notNull(),
    byteSize: integer("byte_size").notNull(),
    r2Key: text("r2_key").notNull().unique("ux_contracts_r2_key"),
    /** Hex SHA-256 of the bytes, computed while streaming; null while pending. */
    hashSha256: text("hash_sha256"),
    createdBy: text("created_by").notNull(),
    status: text("status", { enum: DOCUMENT_STATUSES }).notNull(),
    createdAt: integer("created_at").notNull(),
    storedAt: integer("stored_at"),
    deletedAt: integer("deleted_at"),
  },
  (t) => [
    check("ck_contracts_status", sql`${t.status} IN (${oneOf(DOCUMENT_STATUSES)})`),
    check("ck_contracts_size", sql`${t.byteSize} >= 0`),
    check("ck_contracts_stored", sql`${t.status} <> 'stored' OR (${t.hashSha256} IS NOT NULL AND ${t.storedAt} IS NOT NULL)`),
    index("ix_contracts_creator").on(t.createdBy, t.createdAt),
    index("ix_contracts_status").on(t.status, t.createdAt),
  ],
);

/** What a document is attached to: a voucher, a room, or a mortgage object, in a role. */
export const contractLinks = sqliteTable(
  "contract_links",
  {
    id: text("id").primaryKey(),
    contractId: text("contract_id")
      .notNull()
      .references(() => contracts.id),
    subjectType: text("subject_type", { enum: LINK_SUBJECTS }).notNull(),
    subjectId: text("subject_id").notNull(),
    role: text("role", { enum: LINK_ROLES }).notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    check("ck_contract_links_subject", sql`${t.subjectType} IN (${oneOf(LINK_SUBJECTS)})`),
    check("ck_contract_links_role", sql`${t.role} IN (${oneOf(LINK_ROLES)})`),
    uniqueIndex("ux_contract_links_subject").on(t.contractId, t.subjectType, t.subjectId),
    index("ix_contract_links_by_subject").on(t.subjectType, t.subjectId, t.createdAt),
  ],
);

// ── Mortgage vertical ─────────────────────────────────────────────────────────────────────────
// Rates are integer parts per million (0.032 → 32000), amounts integer minor units; the status
// columns follow the transition tables in `src/mortgage/model.ts`, and the invariants a race could
// break (one accepted offer and one contract per application, tranches within the loan, signatures
// before the notary's) are constraints here.

/** Roles an admin grants to a verified uid: lenders may offer, notaries may notarize. */
export const PARTY_ROLES = ["lender", "notary"] as const;
export const PROPERTY_TYPES = [
  "single-family-house",
  "two-family-house",
  "multi-family-house",
  "terraced-house",
  "apartment",
  "land",
  "commercial",
  "other",
] as const;

/** A party: a verified uid with an admin-granted role (a bank, a FinTech, a notary). */
export const parties = sqliteTable("parties", {
  uid: text("uid").primaryKey(),
  displayName: text("display_name").notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** The roles a party holds now; a revoked role's row is gone (the events keep the history). */
export const partyRoles = sqliteTable(
  "party_roles",
  {
    uid: text("uid")
      .notNull()
      .references(() => parties.uid),
    role: text("role", { enum: PARTY_ROLES }).notNull(),
    grantedAt: integer("granted_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.uid, t.role] }),
    check("ck_party_roles_role", sql`${t.role} IN (${oneOf(PARTY_ROLES)})`),
    index("ix_party_roles_role").on(t.role, t.uid),
  ],
);

export const properties = sqliteTable(
  "properties",
  {
    id: text("id").primaryKey(),
    ownerUid: text("owner_uid").notNull(),
    type: text("type", { enum: PROPERTY_TYPES }).notNull(),
    /** `{street, zip, city, country}` as JSON. */
    address: text("address").notNull(),
    purchasePriceAmount: integer("purchase_price_amount").notNull(),
    ownCapitalAmount: integer("own_capital_amount").notNull(),
    currency: text("currency").notNull(),
    meta: text("meta").notNull().default("{}"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    check("ck_properties_type", sql`${t.type} IN (${oneOf(PROPERTY_TYPES)})`),
    check(
      "ck_properties_amounts",
      sql`${t.purchasePriceAmount} > 0 AND ${t.ownCapitalAmount} >= 0 AND ${t.ownCapitalAmount} <= ${t.purchasePriceAmount}`,
    ),
    index("ix_properties_owner").on(t.ownerUid, t.createdAt),
  ],
);

export const mortgageApplications = sqliteTable(
  "mortgage_applications",
  {
    id: text("id").primaryKey(),
    propertyId: text("property_id")
      .notNull()
      .references(() => properties.id),
    borrowerUid: text("borrower_uid").notNull(),
    loanAmount: integer("loan_amount").notNull(),
    currency: text("currency").notNull(),
    durationYears: integer("duration_years").notNull(),
    rateType: text("rate_type", { enum: MORTGAGE_RATE_TYPES }).notNull(),
    /** Highest nominal rate the borrower accepts, ppm; null: no limit. */
    maxInterestPpm: integer("max_interest_ppm"),
    status: text("status", { enum: APPLICATION_STATUSES }).notNull(),
    visibility: text("visibility", { enum: APPLICATION_VISIBILITIES }).notNull(),
    /** The borrower's financial data (employment, income, other loans): shown only to lenders it was shared with. */
    meta: text("meta").notNull().default("{}"),
    /** The accepted offer, set in the accept batch. */
    acceptedOfferId: text("accepted_offer_id"),
    submittedAt: integer("submitted_at").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    check("ck_applications_status", sql`${t.status} IN (${oneOf(APPLICATION_STATUSES)})`),
    check("ck_applications_rate_type", sql`${t.rateType} IN (${oneOf(MORTGAGE_RATE_TYPES)})`),
    check("ck_applications_visibility", sql`${t.visibility} IN (${oneOf(APPLICATION_VISIBILITIES)})`),
    check("ck_applications_loan", sql`${t.loanAmount} > 0`),
    check("ck_applications_duration", sql`${t.durationYears} BETWEEN 1 AND 40`),
    check("ck_applications_max_interest", sql`${t.maxInterestPpm} IS NULL OR ${t.maxInterestPpm} BETWEEN 0 AND 1000000`),
    check("ck_applications_accepted", sql`(${t.status} = 'accepted') = (${t.acceptedOfferId} IS NOT NULL)`),
    uniqueIndex("ux_applications_accepted_offer").on(t.acceptedOfferId),
    index("ix_applications_borrower").on(t.borrowerUid, t.createdAt),
    index("ix_applications_property").on(t.propertyId),
    index("ix_applications_market").on(t.visibility, t.status, t.createdAt),
  ],
);

/**
 * Lenders a borrower shared an application with: on a `private` application the only lenders
 * who see it and may offer; on a `market` one, the lenders who also see the borrower's financial data.
 */
export const mortgageApplicationLenders = sqliteTable(
  "mortgage_application_lenders",
  {
    applicationId: text("application_id")
      .notNull()
      .references(() => mortgageApplications.id),
    lenderUid: text("lender_uid").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.applicationId, t.lenderUid] }),
    index("ix_application_lenders_lender").on(t.lenderUid, t.createdAt),
  ],
);

/** A lender's offer on an application (the `mortgage-offer` voucher). Figures are computed by the server. */
export const mortgageOffers = sqliteTable(
  "mortgage_offers",
  {
    id: text("id").primaryKey(),
    applicationId: text("application_id")
      .notNull()
      .references(() => mortgageApplications.id),
    lenderUid: text("lender_uid").notNull(),
    borrowerUid: text("borrower_uid").notNull(),
    loanAmount: integer("loan_amount").notNull(),
    currency: text("currency").notNull(),
    nominalRatePpm: integer("nominal_rate_ppm").notNull(),
    /** Initial repayment rate the payment was derived from; null when the lender stated the payment itself. */
    initialRepaymentPpm: integer("initial_repayment_ppm"),
    fixedYears: integer("fixed_years").notNull(),
    monthlyPayment: integer("monthly_payment").notNull(),
    /** Sum of the fees the borrower pays at the start (processing, valuation, others). */
    upfrontFees: integer("upfront_fees").notNull(),
    /** APRC computed from the payment plan and the fees, ppm. */
    effectiveRatePpm: integer("effective_rate_ppm").notNull(),
    /** The rate the lender stated, if any (it agreed with the computed one within the tolerance). */
    statedEffectiveRatePpm: integer("stated_effective_rate_ppm"),
    /** `{repayment, fees, figures}` as JSON: the offer's terms and computed price figures. */
    terms: text("terms").notNull().default("{}"),
    termsRef: text("terms_ref"),
    validFrom: integer("valid_from").notNull(),
    validUntil: integer("valid_until").notNull(),
    status: text("status", { enum: OFFER_STATUSES }).notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    check("ck_offers_status", sql`${t.status} IN (${oneOf(OFFER_STATUSES)})`),
    check("ck_offers_amounts", sql`${t.loanAmount} > 0 AND ${t.monthlyPayment} > 0 AND ${t.upfrontFees} >= 0`),
    check("ck_offers_rate", sql`${t.nominalRatePpm} BETWEEN 0 AND 1000000`),
    check("ck_offers_fixed_years", sql`${t.fixedYears} BETWEEN 1 AND 40`),
    check("ck_offers_validity", sql`${t.validFrom} < ${t.validUntil}`),
    // At most one accepted offer per application.
    uniqueIndex("ux_offers_accepted").on(t.applicationId).where(sql`status = 'accepted'`),
    index("ix_offers_application").on(t.applicationId, t.createdAt),
    index("ix_offers_lender").on(t.lenderUid, t.createdAt),
    index("ix_offers_borrower").on(t.borrowerUid, t.createdAt),
    index("ix_offers_expiry").on(t.status, t.validUntil),
  ],
);

/** The contract an accepted offer becomes; signed by borrower and lender, then notarized. */
export const mortgageContracts = sqliteTable(
  "mortgage_contracts",
  {
    id: text("id").primaryKey(),
    offerId: text("offer_id")
      .notNull()
      .unique("ux_mortgage_contracts_offer")
      .references(() => mortgageOffers.id),
    applicationId: text("application_id")
      .notNull()
      .unique("ux_mortgage_contracts_application")
      .references(() => mortgageApplications.id),
    lenderUid: text("lender_uid").notNull(),
    borrowerUid: text("borrower_uid").notNull(),
    /** The notary named by a party, or the one who notarized. */
    notaryUid: text("notary_uid"),
    loanAmount: integer("loan_amount").notNull(),
    currency: text("currency").notNull(),
    status: text("status", { enum: CONTRACT_STATUSES }).notNull(),
    signedByBorrowerAt: integer("signed_by_borrower_at"),
    signedByLenderAt: integer("signed_by_lender_at"),
    signedByNotaryAt: integer("signed_by_notary_at"),
    cancelledBy: text("cancelled_by"),
    /** Nominal sum of the contract's live tranches (offered or subscribed); never above the loan. */
    tranchedAmount: integer("tranched_amount").notNull().default(0),
    documentRefs: text("document_refs").notNull().default("{}"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    check("ck_mortgage_contracts_status", sql`${t.status} IN (${oneOf(CONTRACT_STATUSES)})`),
    check("ck_mortgage_contracts_tranched", sql`${t.tranchedAmount} BETWEEN 0 AND ${t.loanAmount}`),
    // The notary signs last, and a signed contract carries all three signatures.
    check(
      "ck_mortgage_contracts_notary_last",
      sql`${t.signedByNotaryAt} IS NULL OR (${t.signedByBorrowerAt} IS NOT NULL AND ${t.signedByLenderAt} IS NOT NULL AND ${t.notaryUid} IS NOT NULL)`,
    ),
    check("ck_mortgage_contracts_signed", sql`(${t.status} = 'signed') = (${t.signedByNotaryAt} IS NOT NULL)`),
    index("ix_mortgage_contracts_borrower").on(t.borrowerUid, t.createdAt),
    index("ix_mortgage_contracts_lender").on(t.lenderUid, t.createdAt),
    index("ix_mortgage_contracts_notary").on(t.notaryUid, t.createdAt),
  ],
);

/** An investor tranche of a signed contract (the `mortgage-tranche` voucher); one holder takes it whole. */
export const mortgageTranches = sqliteTable(
  "mortgage_tranches",
  {
    id: text("id").primaryKey(),
    contractId: text("contract_id")
      .notNull()
      .references(() => mortgageContracts.id),
    underlyingOfferId: text("underlying_offer_id").notNull(),
    lenderUid: text("lender_uid").notNull(),
    holderUid: text("holder_uid"),
    nominalAmount: integer("nominal_amount").notNull(),
    currency: text("currency").notNull(),
    expectedYieldPpm: integer("expected_yield_ppm").notNull(),
    riskClass: text("risk_class").notNull(),
    durationYears: integer("duration_years").notNull(),
    validFrom: integer("valid_from").notNull(),
    validUntil: integer("valid_until").notNull(),
    status: text("status", { enum: TRANCHE_STATUSES }).notNull(),
    subscribedAt: integer("subscribed_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    check("ck_tranches_status", sql`${t.status} IN (${oneOf(TRANCHE_STATUSES)})`),
    check("ck_tranches_nominal", sql`${t.nominalAmount} > 0`),
    check("ck_tranches_yield", sql`${t.expectedYieldPpm} BETWEEN 0 AND 1000000`),
    check("ck_tranches_holder", sql`(${t.status} = 'subscribed') = (${t.holderUid} IS NOT NULL)`),
    check("ck_tranches_validity", sql`${t.validFrom} < ${t.validUntil}`),
    index("ix_tranches_contract").on(t.contractId),
    index("ix_tranches_open").on(t.status, t.createdAt),
    index("ix_tranches_lender").on(t.lenderUid, t.createdAt),
    index("ix_tranches_holder").on(t.holderUid, t.createdAt),
  ],
);

// ── Telbank transfers ─────────────────────────────────────────────────────────────────────────

export const transfers = sqliteTable(
  "transfers",
  {
    id: text("id").primaryKey(),
    /** The person who logged it (its owner). */
    actorUid: text("actor_uid").notNull(),
    direction: text("direction", { enum: ["in", "out"] }).notNull(),
    label: text("label"),
    walletAddress: text("wallet_address"),
    network: text("network"),
    /** Canonical base-10 integer of base units (wei, satoshi…): `^(0|[1-9][0-9]*)$`. */
    cryptoAmount: text("crypto_amount").notNull(),
    cryptoDecimals: integer("crypto_decimals").notNull(),
    cryptoSymbol: text("crypto_symbol").notNull(),
    fiatAmount: integer("fiat_amount").notNull(),
    fiatCurrency: text("fiat_currency").notNull(),
    externalAccount: text("external_account"),
    meta: text("meta").notNull().default("{}"),
    status: text("status", { enum: TRANSFER_STATUSES }).notNull(),
    /** When the status last changed (settled or failed), and why (failed). */
    statusChangedAt: integer("status_changed_at"),
    statusReason: text("status_reason"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    check("ck_transfers_direction", sql`${t.direction} IN ('in', 'out')`),
    check("ck_transfers_status", sql`${t.status} IN (${oneOf(TRANSFER_STATUSES)})`),
    check(
      "ck_transfers_crypto_amount",
      sql`${t.cryptoAmount} = '0' OR (${t.cryptoAmount} GLOB '[1-9]*' AND ${t.cryptoAmount} NOT GLOB '*[^0-9]*')`,
    ),
    check("ck_transfers_decimals", sql`${t.cryptoDecimals} BETWEEN 0 AND 36`),
    check("ck_transfers_fiat", sql`${t.fiatAmount} >= 0`),
    index("ix_transfers_actor").on(t.actorUid, t.createdAt),
    index("ix_transfers_actor_wallet").on(t.actorUid, t.walletAddress, t.createdAt),
    index("ix_transfers_created").on(t.createdAt),
  ],
);

// ── Manifest sync ─────────────────────────────────────────────────────────────────────────────

/**
 * A post of an offline manifest, keyed by its author and the client's id for it. Re-submitting
 * the same content changes nothing; changed content bumps `version`.
 */
export const manifestPosts = sqliteTable(
  "manifest_posts",
  {
    authorUid: text("author_uid").notNull(),
    clientId: text("client_id").notNull(),
    source: text("source").notNull(),
    type: text("type").notNull(),
    visibility: text("visibility", { enum: POST_VISIBILITIES }).notNull(),
    title: text("title"),
    /** The post's content as JSON. */
    body: text("body").notNull(),
    /** SHA-256 of the canonical content: an unchanged re-submission is recognised without comparing bodies. */
    contentHash: text("content_hash").notNull(),
    version: integer("version").notNull(),
    /** The client's own time of its last edit, if it sent one. */
    clientUpdatedAt: integer("client_updated_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.authorUid, t.clientId] }),
    check("ck_manifest_posts_visibility", sql`${t.visibility} IN (${oneOf(POST_VISIBILITIES)})`),
    check("ck_manifest_posts_version", sql`${t.version} >= 1`),
    index("ix_manifest_posts_public").on(t.visibility, t.updatedAt),
    index("ix_manifest_posts_type").on(t.type, t.updatedAt),
    index("ix_manifest_posts_author").on(t.authorUid, t.updatedAt),
  ],
);

// ── Telemetry ─────────────────────────────────────────────────────────────────────────────────

/**
 * Portal telemetry (page views, clicks), kept briefly (the sweep deletes it). One row per caller
 * and flush, holding that caller's items of the flush as a JSON array (`src/telemetry/buffer.ts`):
 * a burst writes a row per caller and second, not per page view.
 */
export const telemetryBatches = sqliteTable(
  "telemetry_batches",
  {
    seq: integer("seq").primaryKey(),
    /** `uid:<uid>` for a verified caller, else a keyed hash of the client address. */
    callerKey: text("caller_key").notNull(),
    /** JSON array of `{type, path, meta, at}` in the order the items arrived. */
    items: text("items").notNull(),
    itemCount: integer("item_count").notNull(),
    /** The first item's `at`; the others are at most one flush interval later. */
    createdAt: integer("created_at").notNull(),
  },
  // Only the retention sweep reads by time; every other index would be one more write per row of
  // the busiest insert there is.
  (t) => [index("ix_telemetry_batches_created").on(t.createdAt), check("ck_telemetry_batches_count", sql`${t.itemCount} >= 1`)],
);

// ── Event log ─────────────────────────────────────────────────────────────────────────────────

/** Append-only audit log: one row per successful state change, written in the change's batch. */
export const events = sqliteTable(
  "events",
  {
    /** `ev-<time-sortable>`: cursor pagination follows the id. */
    id: text("id").primaryKey(),
    type: text("type").notNull(),
    actorUid: text("actor_uid"),
    subjectType: text("subject_type"),
    subjectId: text("subject_id"),
    meta: text("meta").notNull().default("{}"),
    requestId: text("request_id"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("ix_events_type").on(t.type, t.id),
    index("ix_events_subject").on(t.subjectId, t.id),
    index("ix_events_created").on(t.createdAt),
    index("ix_events_actor").on(t.actorUid, t.id),
  ],
);

// ── Fees & settlements ────────────────────────────────────────────────────────────────────────

/** A fee rule. Every change bumps `version`; fee events snapshot the rule they were computed with. */
export const fees = sqliteTable(
  "fees",
  {
    /** e.g. `voucher.booking`, `transfer.logged`, `mortgage.contract`. */
    id: text("id").primaryKey(),
    scope: text("scope", { enum: ["voucher", "transfer", "room", "mortgage"] }).notNull(),
    /** Rate in parts per million of the base amount (2 % → 20000). */
    ratePpm: integer("rate_ppm").notNull(),
    fixedAmount: integer("fixed_amount").notNull().default(0),
    /** Currency of the fixed part; null: the fee follows the base amount's currency. */
    currency: text("currency"),
    rounding: text("rounding", { enum: ROUNDING_MODES }).notNull().default("half_up"),
    payer: text("payer", { enum: ["issuer", "holder", "borrower", "lender", "actor"] }).notNull(),
    active: integer("active", { mode: "boolean" }).notNull(),
    version: integer("version").notNull().default(1),
    meta: text("meta").notNull().default("{}"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    check("ck_fees_rate", sql`${t.ratePpm} BETWEEN 0 AND 1000000`),
    check("ck_fees_fixed", sql`${t.fixedAmount} >= 0`),
    check("ck_fees_rounding", sql`${t.rounding} IN (${oneOf(ROUNDING_MODES)})`),
    check("ck_fees_scope", sql`${t.scope} IN ('voucher', 'transfer', 'room', 'mortgage')`),
  ],
);

/**
 * Immutable, append-only fee ledger: charges and their negative reversals. Never updated (the
 * payer only to an erasure tombstone) and never deleted (triggers), so `seq` — SQLite's rowid,
 * handed out in commit order — is a gapless-in-order sequence a settlement run can cut by range.
 */
export const feeEvents = sqliteTable(
  "fee_events",
  {
    /** Position in the ledger (commit order). Inserts pass NULL and SQLite assigns max + 1. */
    seq: integer("seq").primaryKey(),
    id: text("id").notNull().unique("ux_fee_events_id"),
    feeId: text("fee_id")
      .notNull()
      .references(() => fees.id),
    kind: text("kind", { enum: FEE_KINDS }).notNull(),
    subjectType: text("subject_type").notNull(),
    subjectId: text("subject_id").notNull(),
    /** Signed minor units: reversals are the exact negation of their charge. */
    amount: integer("amount").notNull(),
    currency: text("currency").notNull(),
    baseAmount: integer("base_amount").notNull(),
    ratePpm: integer("rate_ppm").notNull(),
    fixedAmount: integer("fixed_amount").notNull(),
    rounding: text("rounding", { enum: ROUNDING_MODES }).notNull(),
    ruleVersion: integer("rule_version").notNull(),
    payerUid: text("payer_uid").notNull(),
    beneficiaryId: text("beneficiary_id").notNull(),
    reversesId: text("reverses_id"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    check("ck_fee_events_kind", sql`${t.kind} IN (${oneOf(FEE_KINDS)})`),
    check(
      "ck_fee_events_sign",
      sql`(${t.kind} = 'charge' AND ${t.amount} >= 0 AND ${t.reversesId} IS NULL) OR (${t.kind} = 'reversal' AND ${t.amount} <= 0 AND ${t.reversesId} IS NOT NULL)`,
    ),
    // Exactly one charge per (subject, rule) and at most one reversal per charge.
    uniqueIndex("ux_fee_events_charge").on(t.subjectType, t.subjectId, t.feeId).where(sql`kind = 'charge'`),
    uniqueIndex("ux_fee_events_reverses").on(t.reversesId),
    // One settlement's events: its parts name (payer, chunk range of seq) — see settlementParts.
    index("ix_fee_events_payer").on(t.payerUid, t.seq),
    index("ix_fee_events_created").on(t.createdAt),
  ],
);

export const settlements = sqliteTable(
  "settlements",
  {
    id: text("id").primaryKey(),
    beneficiaryId: text("beneficiary_id").notNull(),
    payerUid: text("payer_uid").notNull(),
    periodFrom: integer("period_from").notNull(),
    periodTo: integer("period_to").notNull(),
    currency: text("currency").notNull(),
    totalAmount: integer("total_amount").notNull(),
    itemCount: integer("item_count").notNull(),
    status: text("status", { enum: SETTLEMENT_STATUSES }).notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    invoicedAt: integer("invoiced_at"),
    paidAt: integer("paid_at"),
  },
  (t) => [
    check("ck_settlements_status", sql`${t.status} IN (${oneOf(SETTLEMENT_STATUSES)})`),
    check("ck_settlements_period", sql`${t.periodFrom} < ${t.periodTo}`),
    uniqueIndex("ux_settlements_key").on(t.beneficiaryId, t.payerUid, t.periodFrom, t.periodTo, t.currency),
    index("ix_settlements_status").on(t.status, t.periodFrom),
    // A run finalizes and reconciles its period's settlements.
    index("ix_settlements_period").on(t.periodFrom, t.periodTo),
  ],
);

/**
 * The settlement ledger's cursor, one row (`id = 1`). Every fee event with `seq ≤ settled_seq`
 * and `created_at < settled_to` is settled (in exactly one chunk); every other one is not, and
 * those with `seq ≤ settled_seq` all have `seq > scan_from`. Both bounds only move forward
 * (trigger). The `run_*` columns are the run in progress (null when none), so a run that died
 * between two chunks is finished by the next one; the lease keeps two runs from overlapping.
 */
export const settlementLedger = sqliteTable(
  "settlement_ledger",
  {
    id: integer("id").primaryKey(),
    settledSeq: integer("settled_seq").notNull().default(0),
    settledTo: integer("settled_to").notNull().default(0),
    scanFrom: integer("scan_from").notNull().default(0),
    /** Period of the run in progress, the ledger position it settles up to, where it has got to. */
    runFrom: integer("run_from"),
    runTo: integer("run_to"),
    runSeq: integer("run_seq"),
    /** `scan_from` once the run is done: the first event it leaves unsettled, minus one. */
    runScanFrom: integer("run_scan_from"),
    runNext: integer("run_next"),
    leaseOwner: text("lease_owner"),
    leaseUntil: integer("lease_until").notNull().default(0),
    updatedAt: integer("updated_at").notNull().default(0),
  },
  (t) => [
    check("ck_settlement_ledger_one", sql`${t.id} = 1`),
    check("ck_settlement_ledger_scan", sql`${t.scanFrom} <= ${t.settledSeq}`),
    check(
      "ck_settlement_ledger_run",
      sql`(${t.runTo} IS NULL AND ${t.runFrom} IS NULL AND ${t.runSeq} IS NULL AND ${t.runNext} IS NULL AND ${t.runScanFrom} IS NULL)
        OR (${t.runTo} >= ${t.settledTo} AND ${t.runFrom} < ${t.runTo} AND ${t.runSeq} >= ${t.settledSeq}
          AND ${t.runNext} BETWEEN ${t.scanFrom} AND ${t.runSeq} AND ${t.runScanFrom} BETWEEN ${t.scanFrom} AND ${t.runSeq})`,
    ),
  ],
);

/**
 * A slice of the ledger one settlement run settled in one D1 batch: the events with
 * `seq_from < seq ≤ seq_to` and `created_at < period_to` that an earlier run had not settled
 * (`NOT (seq ≤ prev_seq AND created_at < prev_to)`, the ledger cursor the run started from).
 * Chunks are written from the ledger row inside the batch that advances it, so no two chunks
 * ever claim the same event. Immutable.
 */
export const settlementChunks = sqliteTable(
  "settlement_chunks",
  {
    id: integer("id").primaryKey(),
    periodFrom: integer("period_from").notNull(),
    periodTo: integer("period_to").notNull(),
    seqFrom: integer("seq_from").notNull(),
    seqTo: integer("seq_to").notNull(),
    prevSeq: integer("prev_seq").notNull(),
    prevTo: integer("prev_to").notNull(),
    /**
     * Sum and count of the chunk's events, read straight from `fee_events` when the chunk is cut:
     * the reconciliation checks them against the chunk's parts.
     */
    eventTotal: integer("event_total").notNull(),
    eventCount: integer("event_count").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [check("ck_settlement_chunks_range", sql`${t.seqFrom} < ${t.seqTo}`), index("ix_settlement_chunks_seq").on(t.seqTo)],
);

/**
 * A chunk's events of one settlement key, summed from `fee_events`, and the settlement they belong
 * to. Its key, chunk and sums never change; `settlement_id` is set once, to an open settlement of
 * the same key (trigger). Null: that key's settlement for the period was already closed, so these
 * events wait for the next run's open settlement. A fee event's settlement is therefore the part
 * of (its chunk, its key) — exactly one, by construction.
 */
export const settlementParts = sqliteTable(
  "settlement_parts",
  {
    chunkId: integer("chunk_id")
      .notNull()
      .references(() => settlementChunks.id),
    beneficiaryId: text("beneficiary_id").notNull(),
    payerUid: text("payer_uid").notNull(),
    currency: text("currency").notNull(),
    totalAmount: integer("total_amount").notNull(),
    itemCount: integer("item_count").notNull(),
    settlementId: text("settlement_id"),
  },
  (t) => [
    primaryKey({ name: "pk_settlement_parts", columns: [t.chunkId, t.beneficiaryId, t.payerUid, t.currency] }),
    index("ix_settlement_parts_settlement").on(t.settlementId),
    // The right to deletion rewrites a payer's parts (erasure tombstone).
    index("ix_settlement_parts_payer").on(t.payerUid),
  ],
);

/** Run states of a settlement period. */
export const SETTLEMENT_RUN_STATUSES = ["running", "done", "failed"] as const;

/**
 * One row per settled period: its latest run's progress and outcome (the health check and the
 * admin page read it). The lease that serializes runs lives on `settlement_ledger` (renewed there by
 * every batch); `lease_owner` here names the attempt that may still close this row, and
 * `lease_until` is only the lease that attempt started with.
 */
export const settlementRuns = sqliteTable(
  "settlement_runs",
  {
    /** `<periodFrom>-<periodTo>` in epoch ms. */
    id: text("id").primaryKey(),
    periodFrom: integer("period_from").notNull(),
    periodTo: integer("period_to").notNull(),
    status: text("status", { enum: SETTLEMENT_RUN_STATUSES }).notNull(),
    /** Run id that holds the ledger's lease for this period; null when done or failed. */
    leaseOwner: text("lease_owner"),
    leaseUntil: integer("lease_until").notNull().default(0),
    /** `cron` or `admin`. */
    trigger: text("trigger").notNull(),
    attempts: integer("attempts").notNull().default(0),
    /** Fee events assigned by the latest attempt, chunks it committed. */
    assigned: integer("assigned").notNull().default(0),
    chunks: integer("chunks").notNull().default(0),
    /** Settlements of the period after the latest attempt. */
    settlements: integer("settlements").notNull().default(0),
    error: text("error"),
    startedAt: integer("started_at").notNull(),
    finishedAt: integer("finished_at"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    check("ck_settlement_runs_status", sql`${t.status} IN (${oneOf(SETTLEMENT_RUN_STATUSES)})`),
    check("ck_settlement_runs_period", sql`${t.periodFrom} < ${t.periodTo}`),
    index("ix_settlement_runs_finished").on(t.finishedAt),
  ],
);

// ── Request infrastructure ────────────────────────────────────────────────────────────────────

/** Stored results of `Idempotency-Key` requests, keyed by (caller, route, key). */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    callerKey: text("caller_key").notNull(),
    route: text("route").notNull(),
    key: text("key").notNull(),
    bodyHash: text("body_hash").notNull(),
    state: text("state", { enum: ["in_flight", "done"] }).notNull(),
    /** Request id of the request that holds the claim. */
    claim: text("claim").notNull(),
    status: integer("status"),
    response: text("response"),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [
    uniqueIndex("ux_idempotency").on(t.callerKey, t.route, t.key),
    index("ix_idempotency_expires").on(t.expiresAt),
    check("ck_idempotency_state", sql`${t.state} IN ('in_flight', 'done')`),
  ],
);

/** Fixed-window request counters per (route, caller). */
export const rateLimits = sqliteTable(
  "rate_limits",
  {
    key: text("key").primaryKey(),
    windowStart: integer("window_start").notNull(),
    count: integer("count").notNull(),
  },
  (t) => [index("ix_rate_limits_window").on(t.windowStart)],
);

/**
 * Never holds a row. A batch statement that inserts NULL here aborts (NOT NULL) and rolls the
 * whole batch back: how a compare-and-swap that matched nothing stops the rest of the batch.
 */
export const writeGuards = sqliteTable("write_guards", {
  guard: text("guard").notNull(),
});

/**
 * Like `write_guards`, but only for the session check of a write batch: a revoked session aborts
 * with an error naming this table, which no domain guard can be mistaken for.
 */
export const sessionGuards = sqliteTable("session_guards", {
  guard: text("guard").notNull(),
});
