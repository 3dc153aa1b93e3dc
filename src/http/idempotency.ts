/**
 * `Idempotency-Key` handling (Stripe semantics, IETF draft status codes).
 *
 * A key is scoped to (caller, route, key). The first request claims it (`in_flight`); its result
 * is stored in the same D1 batch as its writes (`done`), so a replay returns exactly what the
 * first request returned. Same key + other body → 422; while the first is running → 409.
 * Nothing is stored for requests that fail validation, auth or rate limiting (they never claim).
 *
 * @module
 */
import { and, eq, sql } from "drizzle-orm";
import type { Db, Statement } from "../db/client";
import { idempotencyKeys } from "../db/schema";
import { sha256Hex } from "../core/crypto";
import type { Step } from "./context";
import { badRequest, conflict, AppError, toErrorResponse } from "../core/errors";
import { errorSummary } from "./request";
import type { AnyRoute } from "./route";

/** How long results are kept and replayed. */
export const IDEMPOTENCY_TTL_MS = 7 * 24 * 3600 * 1000;
/** An `in_flight` claim older than this belongs to a request that died; a retry may take it over. */
export const STALE_CLAIM_MS = 60_000;

/** A claimed key, owned by the request with id `claim`. */
export interface IdempotencyClaim {
  callerKey: string;
  route: string;
  key: string;
  claim: string;
}

/** A stored response to replay. */
export interface StoredResponse {
  status: number;
  body: string;
}

/** Validates the header value: 1–255 visible ASCII characters. */
export function parseIdempotencyKey(raw: string | null): string | null {
  if (raw === null) return null;
  if (!/^[\x21-\x7e]{1,255}$/.test(raw)) {
    throw badRequest("invalid_idempotency_key", "Idempotency-Key must be 1-255 visible ASCII characters");
  }
  return raw;
}

/** Hash of the request body in canonical form (sorted keys), so formatting does not matter. */
export function bodyHash(body: unknown): Promise<string> {
  return sha256Hex(canonicalJson(body));
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

/**
 * Claims the key for this request, or explains why not: returns the stored response to replay,
 * or throws 422 (`idempotency_key_reused`) / 409 (`idempotency_request_in_flight`).
 */
export async function claimKey(db: Db, claim: IdempotencyClaim, hash: string, now: number): Promise<StoredResponse | null> {
  const [, rows] = await db.batch([
    db
      .insert(idempotencyKeys)
      .values({ ...claim, bodyHash: hash, state: "in_flight", createdAt: now, expiresAt: now + IDEMPOTENCY_TTL_MS })
      .onConflictDoUpdate({
        target: [idempotencyKeys.callerKey, idempotencyKeys.route, idempotencyKeys.key],
        set: { claim: claim.claim, bodyHash: hash, createdAt: now, expiresAt: now + IDEMPOTENCY_TTL_MS },
        // Take over only a claim whose request died, or a stored result that has expired.
        setWhere: sql`(${idempotencyKeys.state} = 'in_flight' AND ${idempotencyKeys.createdAt} < ${now - STALE_CLAIM_MS}) OR ${idempotencyKeys.expiresAt} < ${now}`,
      }),
    db.select().from(idempotencyKeys).where(claimWhere(claim, false)),
  ]);
  const row = rows[0];
  if (!row) throw new AppError(500, "internal_error", "idempotency claim vanished");
  if (row.claim === claim.claim) return null;
  if (row.bodyHash !== hash) {
    throw new AppError(422, "idempotency_key_reused", "Idempotency-Key was already used with a different request body");
  }
  if (row.state === "in_flight" || row.status === null || row.response === null) {
    throw conflict("idempotency_request_in_flight", "a request with this Idempotency-Key is still in progress");
  }
  return { status: row.status, body: row.response };
}

/** WHERE clause of one claim; with `owned`, only while this request still holds it. */
function claimWhere(claim: IdempotencyClaim, owned: boolean) {
  return and(
    eq(idempotencyKeys.callerKey, claim.callerKey),
    eq(idempotencyKeys.route, claim.route),
    eq(idempotencyKeys.key, claim.key),
    owned ? eq(idempotencyKeys.claim, claim.claim) : undefined,
  );
}

/** Statement that stores the final response; goes into the same batch as the request's writes. */
export function storeResponse(db: Db, claim: IdempotencyClaim, status: number, body: string): Statement {
  return db.update(idempotencyKeys).set({ state: "done", status, response: body }).where(claimWhere(claim, true));
}

/** Drops an unfinished claim (the request failed unexpectedly), so a retry can run again. */
export async function releaseClaim(db: Db, claim: IdempotencyClaim): Promise<void> {
  await db.delete(idempotencyKeys).where(and(claimWhere(claim, true), eq(idempotencyKeys.state, "in_flight")));
}

/** A claimed key of the running request: its stored response goes into the commit batch, or is stored after. */
export class IdempotencyRecord {
  private storedYet = false;

  constructor(
    private readonly db: Db,
    readonly claim: IdempotencyClaim,
  ) {}

  /** Whether the response is stored already (in the commit batch). */
  get stored(): boolean {
    return this.storedYet;
  }

  /** The statement that stores the response, for the commit batch; the record counts as stored once that batch committed. */
  statement(status: number, body: string): Statement {
    return storeResponse(this.db, this.claim, status, body);
  }

  /** The commit batch that carried `statement()` went through. */
  markStored(): void {
    this.storedYet = true;
  }

  /** Stores the response in its own round trip (a request that did not commit, or a refusal). */
  async store(status: number, body: string): Promise<void> {
    await storeResponse(this.db, this.claim, status, body);
    this.storedYet = true;
  }
}

/**
 * The idempotency step, for routes that take `Idempotency-Key` (default: every POST). The caller
 * is counted (and the session checked) before a claim exists, so a refused request never holds a
 * key. A replay answers the stored response with `Idempotent-Replayed: true`. After the handler:
 * a business refusal (< 500) is stored like any result, so a retry sees the same answer; an
 * unexpected failure releases the key, so a retry can run again.
 */
export function idempotency(route: AnyRoute): Step {
  const enabled = route.idempotent ?? route.method === "POST";
  return async (c, next) => {
    const key = enabled ? parseIdempotencyKey(c.req.header("idempotency-key") ?? null) : null;
    if (!key) return next();
    const { db, uow, now, requestId } = c.var;
    await uow.settle();
    const claim = { callerKey: c.var.callerKey, route: route.id, key, claim: requestId };
    const hash = route.idempotencyFingerprint
      ? await sha256Hex(`fingerprint:${route.idempotencyFingerprint(c.req.raw.headers)}`)
      : await bodyHash(c.var.rawBody ?? {});
    const stored = await claimKey(db, claim, hash, now);
    if (stored) {
      c.var.log("info", "idempotent replay", { route: route.id });
      return c.body(stored.body, stored.status as 200, {
        "content-type": "application/json; charset=utf-8",
        "idempotent-replayed": "true",
      });
    }
    const record = new IdempotencyRecord(db, claim);
    c.set("idempotency", record);
    try {
      await next();
      if (!record.stored) await record.store(c.res.status, await c.res.clone().text());
    } catch (err) {
      const refusal = toErrorResponse(err, requestId);
      try {
        if (refusal.status < 500) await record.store(refusal.status, await refusal.text());
        else await releaseClaim(db, claim);
      } catch (e) {
        c.var.log("error", "idempotency bookkeeping failed", { error: errorSummary(e) });
      }
      throw err;
    }
  };
}
