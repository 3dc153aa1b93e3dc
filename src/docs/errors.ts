/**
 * The error contract of the API: every machine `code` a response can carry, with its HTTP status
 * and meaning (described once, here), and which codes the shared pipeline adds to a route because
 * of how the route is declared. The OpenAPI document, the `/api/docs` page and the contract tests
 * read these; a route's own codes come from its `errors` map (`"<status> description"`).
 *
 * @module
 */
import * as z from "zod";
import type { AnyRoute } from "../http/route";

/** One error code of the API. */
export interface ErrorCodeInfo {
  /** The HTTP status that always accompanies the code. */
  status: number;
  /** What it means and what a client can do about it. */
  description: string;
}

/**
 * Every error code the API answers with, by code. A code always has the same status, so a client
 * may switch on the code alone.
 */
export const ERROR_CODES = {
  // ── answered by the shared pipeline ──
  validation_failed: {
    status: 400,
    description: "the body or query string does not match the route's schema; `details` lists each issue (path, code, message)",
  },
  invalid_json: { status: 400, description: "the body is not JSON" },
  invalid_encoding: { status: 400, description: "the body is not UTF-8, or a string holds a lone surrogate" },
  invalid_idempotency_key: { status: 400, description: "`Idempotency-Key` is not 1-255 visible ASCII characters" },
  invalid_cursor: { status: 400, description: "`cursor` is not a `nextCursor` of a previous page" },
  unauthenticated: { status: 401, description: "a verified session is required (POST /api/presence/verify)" },
  invalid_session: { status: 401, description: "the session token is malformed, forged, from an unknown key or expired" },
  session_revoked: { status: 401, description: "the session was revoked; verify a new link" },
  admin_unauthorized: { status: 401, description: "the admin bearer token is missing or wrong" },
  uid_mismatch: {
    status: 403,
    description: "a uid the request names (body, query or `X-MOT-User`) is not the verified session's uid",
  },
  bad_origin: {
    status: 403,
    description: "a cookie-authenticated request came from a page of another origin (send the session as a Bearer token)",
  },
  not_found: { status: 404, description: "no route serves this path" },
  method_not_allowed: { status: 405, description: "the path is served with another method (`Allow` names it)" },
  idempotency_request_in_flight: {
    status: 409,
    description: "a request with this `Idempotency-Key` is still running; retry later",
  },
  body_too_large: { status: 413, description: "the body exceeds 32 KiB" },
  unsupported_media_type: { status: 415, description: "the body is not sent as `Content-Type: application/json`" },
  idempotency_key_reused: { status: 422, description: "this `Idempotency-Key` was used with a different body" },
  rate_limited: {
    status: 429,
    description: "too many requests of this caller on this route in the current minute; `Retry-After` says when to retry",
  },
  internal_error: { status: 500, description: "an unexpected failure; nothing was written, retrying is safe" },
  not_configured: { status: 503, description: "a server secret this request needs is not configured" },
  admin_not_configured: { status: 503, description: "ADMIN_TOKEN is not set: the admin API is disabled" },

  // ── identity ──
  invalid_signature: { status: 401, description: "the link's (or the device challenge's) signature is malformed or wrong" },
  link_expired: { status: 401, description: "the link is older than 300 s" },
  link_from_future: { status: 401, description: "the link's timestamp is more than 30 s in the future" },
  link_replayed: { status: 409, description: "the link was already used (links are single use)" },
  link_revoked: { status: 401, description: "the link's distribution channel (`mot`) is revoked (`MOT_REVOKED`)" },
  uid_required: {
    status: 400,
    description: "the link has no `uid`: the original portal's body `{token, sig, ts}` is accepted only under AUTH_MODE=compat",
  },
  invalid_public_key: {
    status: 400,
    description: "`publicKey` is not an ECDSA P-256 public key (JWK with kty EC, crv P-256, x, y)",
  },
  too_many_device_keys: { status: 409, description: "the person already has 10 live device keys; remove one first" },
  device_key_not_found: { status: 404, description: "no such device key among the caller's own" },
  device_key_revoked: { status: 401, description: "the device key is unknown, revoked (logout everywhere, removal) or erased" },
  invalid_challenge: { status: 401, description: "the device challenge is malformed, forged or issued for another key" },
  challenge_expired: { status: 401, description: "the device challenge is older than 120 s" },
  challenge_replayed: { status: 409, description: "the device challenge was already used (challenges are single use)" },
  thinker_mismatch: { status: 403, description: "`thinker_id` is not the caller's own thinker id" },

  // ── vouchers ──
  unknown_template: { status: 400, description: "`templateId` names no voucher template" },
  invalid_validity: {
    status: 400,
    description: "validFrom is not before validUntil, the window exceeds 366 days, or the duration does not fit into it",
  },
  invalid_slot: { status: 400, description: "`slotId` is not `slot-<ISO-8601 instant>` or not on the voucher's slot grid" },
  slot_in_past: { status: 400, description: "the slot has already started" },
  same_holder: { status: 400, description: "`toUid` already holds the voucher" },
  not_holder: { status: 403, description: "only the voucher's holder may do this" },
  not_issuer: { status: 403, description: "only the voucher's issuer may do this" },
  not_allowed: {
    status: 403,
    description: "the caller is not a party allowed to act on this object (holder, issuer, borrower, lender)",
  },
  voucher_not_found: { status: 404, description: "no such voucher" },
  booking_not_found: { status: 404, description: "no such booking (or it does not belong to the given voucher)" },
  voucher_exists: { status: 409, description: "the requested `voucherId` is taken" },
  slot_taken: { status: 409, description: "the slot is already booked" },
  voucher_already_booked: { status: 409, description: "the voucher already has an active booking in another slot" },
  not_transferable: { status: 409, description: "the voucher is not transferable" },
  invalid_transition: {
    status: 409,
    description: "the object's current status does not allow this action; `details` is `{from, to}`",
  },
  concurrent_update: { status: 409, description: "the object changed while the request ran; retry" },

  // ── rooms ──
  bad_room_id: { status: 400, description: "not a valid room id" },
  invalid_ticket: { status: 401, description: "the room ticket is invalid, used or expired" },
  ticket_room_mismatch: { status: 403, description: "the ticket was issued for another room" },
  room_not_found: { status: 404, description: "the room has not been used yet" },
  upgrade_required: { status: 426, description: "the request is not a WebSocket upgrade" },
  room_unavailable: { status: 503, description: "the room could not be reached; `Retry-After` says when to retry" },
  room_full: { status: 503, description: "the room has no free connection; `Retry-After` says when to retry" },

  // ── mortgage marketplace ──
  party_not_found: { status: 404, description: "no party has this uid" },
  property_not_found: {
    status: 404,
    description: "no such property of the caller's (register it with POST /api/hypotheken/property)",
  },
  property_exists: { status: 409, description: "the requested `propertyId` is taken" },
  currency_mismatch: { status: 400, description: "an amount is not in the currency of the object it refers to" },
  own_capital_exceeds_price: { status: 400, description: "`ownCapital` exceeds the purchase price" },
  application_not_found: { status: 404, description: "no such application visible to the caller" },
  application_exists: { status: 409, description: "the requested `applicationId` is taken" },
  loan_exceeds_need: {
    status: 400,
    description: "`desiredLoan` exceeds the purchase price less own capital; `details` is `{maxLoan, requested}`",
  },
  unknown_lender: { status: 400, description: "a named uid holds no lender role; `details` is `{uids}`" },
  self_invite: { status: 400, description: "the borrower named itself as a lender" },
  not_lender: {
    status: 403,
    description: "the caller holds no lender role, or is not the lender of this object",
  },
  not_borrower: { status: 403, description: "only the borrower of this application or offer may do this" },
  not_notary: {
    status: 403,
    description: "only a notary who is not a party to the contract (and is its named notary, if any) may notarize it",
  },
  application_closed: { status: 409, description: "the application is accepted or withdrawn; `details` is `{status}`" },
  offer_not_found: { status: 404, description: "no such offer, or the caller is neither its borrower nor its lender" },
  offer_exists: { status: 409, description: "the requested offer `voucherId` is taken" },
  offer_expired: { status: 409, description: "the offer is past its `validUntil`" },
  offer_not_yet_valid: { status: 409, description: "the offer's `validFrom` has not come yet" },
  holder_mismatch: { status: 400, description: "`holderUid` is not the application's borrower" },
  loan_exceeds_application: { status: 400, description: "the loan exceeds the loan applied for" },
  rate_above_max: { status: 400, description: "the nominal rate exceeds the application's `maxInterestRate`" },
  payment_too_low: {
    status: 400,
    description: "the monthly payment does not exceed the first month's interest (or does not repay within 100 years)",
  },
  invalid_terms: {
    status: 400,
    description: "the upfront fees are not less than the loan, or leave no computable effective rate",
  },
  effective_rate_mismatch: {
    status: 400,
    description:
      "the stated effective rate differs from the computed one by more than 0.01 percentage points; `details` names both",
  },
  invalid_notary: { status: 400, description: "`notaryUid` holds no notary role, or is a party to the contract" },
  contract_not_found: { status: 404, description: "no such contract among those the caller is party to" },
  contract_not_signed: {
    status: 409,
    description: "tranches are issued on signed contracts only; `details.status` is the contract's",
  },
  tranche_not_found: { status: 404, description: "no such tranche" },
  tranche_exceeds_loan: {
    status: 409,
    description: "the contract's tranches would exceed its loan; `details` is `{loan, tranched, requested}`",
  },
  tranche_exists: { status: 409, description: "the requested tranche `voucherId` is taken" },
  tranche_expired: { status: 409, description: "the tranche's `validUntil` has passed" },
  tranche_not_yet_valid: { status: 409, description: "the tranche's `validFrom` has not come yet" },

  // ── legal hub (documents on R2) ──
  expected_multipart: { status: 400, description: "the upload is not sent as `multipart/form-data` with a boundary" },
  invalid_multipart: { status: 400, description: "the multipart body is malformed (boundary, part headers, too many parts)" },
  file_required: { status: 400, description: "the multipart body has no `file` part with a file name" },
  empty_file: { status: 400, description: "the file has no bytes" },
  file_too_large: { status: 413, description: "the file exceeds `CONTRACT_MAX_BYTES` (`details.maxBytes`)" },
  content_type_mismatch: {
    status: 415,
    description: "the part's declared content type differs from what its bytes are (`details` names both)",
  },
  document_not_found: { status: 404, description: "no such document among those the caller may see" },
  link_not_found: { status: 404, description: "no such link on this document" },
  link_target_not_found: { status: 404, description: "the voucher, room or mortgage object to link to does not exist" },
  link_exists: { status: 409, description: "the document is already linked to this object" },
  integrity_failed: { status: 409, description: "the stored object no longer matches the document's SHA-256; it is not served" },
  range_not_satisfiable: { status: 416, description: "the `Range` lies outside the document (`Content-Range` gives its size)" },
  storage_not_configured: { status: 503, description: "the document bucket (`CONTRACTS` R2 binding) is not bound" },

  // ── telbank transfers ──
  transfer_not_found: { status: 404, description: "no such transfer among the caller's own (the admin sees every transfer)" },

  // ── self-service (the person's own data) ──
  confirm_mismatch: { status: 400, description: "`confirm` is not the caller's own uid; nothing was erased" },

  // ── administration ──
  bad_settlement_id: { status: 400, description: "not a valid settlement id" },
  invalid_period: { status: 400, description: "from is not before to, the period exceeds 366 days, or it has not ended yet" },
  invalid_range: { status: 400, description: "from is not before to, or the window exceeds 366 days" },
  bad_uid: { status: 400, description: "not a uid (1-128 characters of A-Z a-z 0-9 . _ -)" },
  settlement_not_found: { status: 404, description: "no such settlement" },
  fee_not_found: { status: 404, description: "no such fee rule" },
  thinker_not_found: { status: 404, description: "nothing stored names this uid (never seen, or already erased)" },
  run_in_progress: { status: 409, description: "another settlement run holds the ledger's lease; `Retry-After` says when" },
  version_conflict: { status: 409, description: "the fee rule changed since `expectedVersion`; `details.version` is current" },
  reconciliation_failed: {
    status: 500,
    description: "the settlement run's totals disagree with its fee events; nothing was settled (`details` is the run)",
  },
  lease_lost: { status: 500, description: "the settlement run lost the ledger's lease to another run; retry" },
  room_erasure_failed: {
    status: 503,
    description: "a room could not be reached; nothing was erased in D1, repeat the request",
  },
} as const satisfies Record<string, ErrorCodeInfo>;

/**
 * Codes the Room Durable Object answers an internal caller with, which no API operation passes on:
 * the API reaches a room only after authenticating, with the identity headers set and the room's
 * name derived from its id.
 */
export const INTERNAL_ERROR_CODES = {
  no_identity: { status: 403, description: "a connection reached a room without coming through the API" },
  wrong_room: { status: 400, description: "a room was asked for under another room's id" },
} as const satisfies Record<string, ErrorCodeInfo>;

/** A documented error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** One code a route can answer with, and why (a route-specific text, or the table's). */
export interface RouteError {
  status: number;
  code: string;
  description: string;
}

/** What the pipeline looks at in a declaration to know which codes it may answer with. */
export type PipelineShape = Pick<AnyRoute, "id" | "method" | "auth" | "body" | "query" | "idempotent" | "rateLimited"> & {
  /** A login route (CSRF-guarded: same-site JSON posts only). */
  login?: boolean | undefined;
};

/** Methods that change state (cookie-authenticated calls from another origin are refused). */
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * The codes the shared pipeline (method check, body cap and JSON, session, validation, uid claims,
 * origin check, rate limit, idempotency, error mapping) can answer `route` with, derived from its
 * declaration alone. Keep in sync with the pipeline: the contract tests check every response of
 * the API tests against the document built from this.
 */
export function pipelineErrors(route: PipelineShape): ErrorCode[] {
  const codes = new Set<ErrorCode>(["method_not_allowed", "internal_error"]);
  if (route.rateLimited !== false) codes.add("rate_limited");
  if (route.body) {
    for (const c of ["body_too_large", "invalid_json", "invalid_encoding", "validation_failed"] as const) codes.add(c);
  }
  if (route.query) codes.add("validation_failed");
  // A list that pages by `?cursor=` refuses a cursor it did not hand out.
  if (route.query instanceof z.ZodObject && "cursor" in route.query.shape) codes.add("invalid_cursor");
  const session = route.auth !== "none" && route.auth !== "admin";
  if (route.auth === "required" || route.auth === "verified") {
    for (const c of ["unauthenticated", "invalid_session", "session_revoked", "not_configured"] as const) codes.add(c);
  }
  // An optional session treats a bad token as none, but a genuine one must still be live (and
  // checking a token needs the session keys).
  if (route.auth === "optional") {
    for (const c of ["session_revoked", "not_configured"] as const) codes.add(c);
  }
  // `X-MOT-User` is a uid claim on every route with a caller (the admin caller is "admin").
  if (route.auth !== "none") codes.add("uid_mismatch");
  // A cookie session may change state only from the site's own pages.
  if (session && UNSAFE.has(route.method)) codes.add("bad_origin");
  if (route.idempotent ?? route.method === "POST") {
    for (const c of ["invalid_idempotency_key", "idempotency_key_reused", "idempotency_request_in_flight"] as const) codes.add(c);
  }
  if (route.auth === "admin") {
    for (const c of ["admin_not_configured", "admin_unauthorized"] as const) codes.add(c);
  }
  // A login takes no session but sets one as a cookie: it refuses cross-site and non-JSON posts
  // (login CSRF), and it needs the link, identity and session secrets.
  if (route.login) {
    for (const c of ["unsupported_media_type", "bad_origin", "not_configured"] as const) codes.add(c);
  }
  return [...codes];
}

/** Leading HTTP status of an `errors` entry (`"409 voucherId taken"` → 409), or null if it has none. */
export function entryStatus(text: string): number | null {
  const m = /^([1-5][0-9]{2})(?:\s|$)/.exec(text);
  return m ? Number(m[1]) : null;
}

/**
 * Every error `route` can answer with: the pipeline's codes and its own `errors` map, sorted by
 * status and code. Throws when an entry does not start with its status, or names a status that
 * disagrees with the table (a code always travels with the same status).
 */
export function routeErrors(route: PipelineShape & Pick<AnyRoute, "errors">): RouteError[] {
  const out = new Map<string, RouteError>();
  for (const code of pipelineErrors(route)) {
    out.set(code, { status: ERROR_CODES[code].status, code, description: ERROR_CODES[code].description });
  }
  for (const [code, text] of Object.entries(route.errors ?? {})) {
    const status = entryStatus(text);
    if (status === null) throw new Error(`${route.id}: errors.${code} must start with its HTTP status ("${text}")`);
    const known = (ERROR_CODES as Record<string, ErrorCodeInfo>)[code];
    if (known && known.status !== status) {
      throw new Error(`${route.id}: errors.${code} says ${status}, the code is always ${known.status}`);
    }
    const own = text.slice(3).trim();
    out.set(code, { status, code, description: own || known?.description || "" });
  }
  return [...out.values()].sort((a, b) => a.status - b.status || a.code.localeCompare(b.code));
}

/** The error codes as a Markdown table (status, code, meaning), for written docs. */
export function errorCodesMarkdown(): string {
  const rows = Object.entries(ERROR_CODES as Record<string, ErrorCodeInfo>)
    .sort(([a, x], [b, y]) => x.status - y.status || a.localeCompare(b))
    .map(([code, info]) => `| ${info.status} | \`${code}\` | ${info.description.replaceAll("|", "\\|")} |`);
  return ["| status | code | meaning |", "|---|---|---|", ...rows].join("\n");
}
