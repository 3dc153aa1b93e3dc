/**
 * Sessions: `POST /api/presence/verify` turns a signed manifest link into a thinker and a session;
 * `POST /api/presence/logout` ends every session of the caller (all devices) and revokes every
 * device key. Under AUTH_MODE=compat, verify also answers the original portal's body
 * `{token, sig, ts}` (no uid) in the original shape, without a session.
 *
 * @module
 */
import { and, eq, isNull, sql } from "drizzle-orm";
import * as z from "zod";
import { isUniqueViolation } from "../db/client";
import { deviceKeys, presenceSessions, thinkers, usedLinkNonces } from "../db/schema";
import { eventStatement } from "../events/events";
import { type Config, identityHashKey, linkSecrets, sessionKeys } from "../core/config";
import { badRequest, conflict, unauthorized } from "../core/errors";
import type { Db } from "../db/client";
import { callerOf, sessionOf } from "../http/authenticate";
import { defineRoute } from "../http/route";
import { fromHex, hmac, hmacVerify, sha256Hex, toHex } from "../core/crypto";
import { LINK_MAX_AGE_MS, verifyLink } from "../identity/link";
import { Mot, Uid } from "../identity/schemas";
import { clearSessionCookie, sessionCookie, signSession } from "../identity/session";
import { asThinkerId, thinkerIdentity } from "../identity/thinker";

/**
 * Link fields; `token` and `thinker_token` are the legacy names of `mot`. `uid` and `sig` are
 * optional only for the original portal's body `{token, sig, ts}` (sig may be null), which only
 * AUTH_MODE=compat accepts; a link with a uid needs its signature.
 */
const VerifyBody = z
  .strictObject({
    mot: Mot.optional(),
    token: Mot.optional(),
    thinker_token: Mot.optional(),
    uid: Uid.optional(),
    ts: z.union([
      z.number().int().nonnegative(),
      z
        .string()
        .regex(/^\d{1,16}$/)
        .transform(Number),
    ]),
    sig: z.string().max(512).nullable().optional(),
  })
  .transform(({ mot, token, thinker_token, ...rest }) => ({ ...rest, mot: mot ?? token ?? thinker_token }));

/** The answer of a new session (verify, device login). */
export const SessionResponse = z.object({
  ok: z.literal(true),
  thinker_id: z.string(),
  pair_code: z.string().nullable(),
  uid: z.string(),
  session: z.string(),
  expiresAt: z.string(),
});

/** The original shape, for the original portal's body under AUTH_MODE=compat: no session. */
const CompatVerifyResponse = z.object({
  ok: z.literal(true),
  thinker_id: z.string().regex(/^thinker-[0-9a-f]{12}$/),
  pair_code: z.string().nullable(),
});

/** What a new session's answer needs from the request. */
interface SessionContext {
  env: Env;
  db: Db;
  now: number;
  url: URL;
  config: Config;
}

/** Query of the pair code stored for thinker `thinkerId` (at most one row), for a read batch or `.get()`. */
export function pairCodeQuery(db: Db, thinkerId: string) {
  return db
    .select({ pairCode: presenceSessions.pairCode })
    .from(presenceSessions)
    .where(eq(presenceSessions.thinkerId, thinkerId));
}

/**
 * Signs a session for `who` (its thinker row at generation `gen`) and builds the answer of
 * verify and device login: thinker id, stored pair code, uid, token and expiry, and the cookie.
 */
export async function sessionAnswer(ctx: SessionContext, who: { uid: string; thinkerId: string; gen: number }) {
  const session = await signSession(who, sessionKeys(ctx.env), ctx.now, ctx.config.sessionTtlSeconds);
  const presence = await pairCodeQuery(ctx.db, who.thinkerId).get();
  return {
    body: {
      ok: true as const,
      thinker_id: who.thinkerId,
      pair_code: presence?.pairCode ?? null,
      uid: who.uid,
      session: session.token,
      expiresAt: new Date(session.expiresAt).toISOString(),
    },
    headers: { "set-cookie": sessionCookie(session.token, session.expiresAt, ctx.now, ctx.url) },
  };
}

/**
 * The thinker id of an original-portal link (`thinker-<12 hex>`, the original's format): a keyed
 * hash of the link's fields, so different links (different people, or one person's next link)
 * get different ids and nothing is derivable without `IDENTITY_HASH_KEY`. Unlike the original
 * (a hash of the shared token alone), two holders of the same token do not share one id.
 */
export async function compatThinkerId(link: { token: string; ts: number; sig: string | null }, key: string): Promise<string> {
  const digest = toHex(await hmac(key, `compat-link:${link.token}.${link.ts}.${link.sig ?? ""}`));
  return `thinker-${digest.slice(0, 12)}`;
}

/**
 * The original portal's check of its own body: when a signature is sent, it must be fresh (300 s
 * either way) and be `hex(HMAC-SHA256(key = token, "<token>.<ts>"))`. That key is public, so this
 * proves nothing about the person: the answer therefore carries no session, only the id.
 */
async function checkCompatLink(link: { token: string; ts: number; sig: string | null }, now: number): Promise<void> {
  if (!link.sig) return;
  if (!Number.isSafeInteger(link.ts)) throw badRequest("validation_failed", "ts: must be a non-negative integer");
  if (Math.abs(now - link.ts) > LINK_MAX_AGE_MS) throw unauthorized("link_expired", "link expired");
  const sig = /^[0-9a-f]{64}$/i.test(link.sig) ? fromHex(link.sig) : null;
  if (!sig || !(await hmacVerify(link.token, `${link.token}.${link.ts}`, sig))) {
    throw unauthorized("invalid_signature", "signature invalid");
  }
}

export const verify = defineRoute({
  id: "presence.verify",
  method: "POST",
  path: "/api/presence/verify",
  tag: "identity",
  summary:
    "Verify a signed manifest link (signed with the master link secret or the link's channel secret); returns the thinker id and a session (also set as cookie). AUTH_MODE=compat also accepts the original portal's body {token, sig, ts} without uid and answers {ok, thinker_id, pair_code} without a session.",
  auth: "none",
  login: true,
  access: "write",
  // Single-use links already make a retry safe (409); a stored response would keep a session token in D1.
  idempotent: false,
  body: VerifyBody,
  response: z.union([SessionResponse, CompatVerifyResponse]),
  errors: {
    invalid_signature: "401 signature malformed or wrong",
    link_expired: "401 link older than 300 s",
    link_from_future: "401 link more than 30 s in the future",
    link_revoked: "401 the link's channel (mot) is listed in MOT_REVOKED",
    link_replayed: "409 link already used",
    uid_required: "400 the body has no uid (the original portal's {token, sig, ts}); accepted only under AUTH_MODE=compat",
  },
  async handler(ctx) {
    const { body, env, db, now, requestId, config, commit } = ctx;
    if (!body.mot) throw badRequest("validation_failed", "body.mot: required (or legacy token / thinker_token)");
    if (body.uid === undefined) {
      if (config.authMode !== "compat") {
        throw badRequest(
          "uid_required",
          "body.uid: required — a link names its uid (the original portal's {token, sig, ts} is accepted only under AUTH_MODE=compat)",
        );
      }
      const link = { token: body.mot, ts: body.ts, sig: body.sig ?? null };
      await checkCompatLink(link, now);
      const key = identityHashKey(env);
      const thinkerId = await compatThinkerId(link, key);
      // The original portal sends this id as its thinker_id; the presence routes store it mapped.
      const [presence] = await ctx.read([pairCodeQuery(db, await asThinkerId(thinkerId, key))]);
      return { body: { ok: true, thinker_id: thinkerId, pair_code: presence[0]?.pairCode ?? null } };
    }
    if (typeof body.sig !== "string") throw badRequest("validation_failed", "body.sig: required with a uid");
    const link = { mot: body.mot, uid: body.uid, ts: body.ts, sig: body.sig };
    await verifyLink(link, linkSecrets(env), now, { revoked: config.revokedMots });
    const { publicId, thinkerId } = await thinkerIdentity(link.uid, identityHashKey(env));
    // Unsigned session keys are a 503 before the link is burned (it can be used once the keys are set).
    sessionKeys(env);
    let gen: number | undefined;
    try {
      await commit(
        [
          db
            .insert(usedLinkNonces)
            .values({ sigHash: await sha256Hex(link.sig.toLowerCase()), uid: link.uid, ts: link.ts, usedAt: now }),
          // A new row starts its session generation at this instant; a known one keeps it (other devices stay in).
          db
            .insert(thinkers)
            .values({ id: thinkerId, publicId, createdAt: now, verifiedAt: now, sessionGen: now })
            .onConflictDoUpdate({ target: thinkers.publicId, set: { verifiedAt: now, deletedAt: sql`NULL` } })
            .returning({ gen: thinkers.sessionGen }),
          eventStatement(db, {
            type: "auth.verified",
            actorUid: link.uid,
            subjectType: "thinker",
            subjectId: thinkerId,
            requestId,
            now,
          }),
        ],
        { body: null },
        (rows) => {
          gen = (rows[1] as { gen: number }[])[0]?.gen;
        },
      );
    } catch (err) {
      if (isUniqueViolation(err, "used_link_nonces")) throw conflict("link_replayed", "this link was already used");
      throw err;
    }
    if (gen === undefined) throw new Error("verify: the thinker upsert returned no row");
    return sessionAnswer(ctx, { uid: link.uid, thinkerId, gen });
  },
});

export const logout = defineRoute({
  id: "presence.logout",
  method: "POST",
  path: "/api/presence/logout",
  tag: "identity",
  summary:
    "End every session of the caller (all devices): the thinker's session generation moves on, so every token signed before answers 401 session_revoked, and every device key of the caller is revoked. Clears the cookie.",
  auth: "verified",
  access: "write",
  // A repeat finds the session already ended (401 session_revoked): the outcome is stable without a stored response.
  idempotent: false,
  response: z.object({ ok: z.literal(true), loggedOutAt: z.string() }),
  async handler(ctx) {
    const { db, now, requestId, url, commit } = ctx;
    const uid = callerOf(ctx);
    const { thinkerId } = sessionOf(ctx);
    // The unit of work's session guard runs in this batch first: only a live session logs out.
    return commit(
      [
        db
          .update(thinkers)
          .set({ sessionGen: sql`MAX(${thinkers.sessionGen} + 1, ${now})` })
          .where(eq(thinkers.id, thinkerId)),
        // Everywhere includes the devices that could sign a new session without a link.
        db
          .update(deviceKeys)
          .set({ revokedAt: now })
          .where(and(eq(deviceKeys.uid, uid), isNull(deviceKeys.revokedAt))),
        eventStatement(db, { type: "auth.logout", actorUid: uid, subjectType: "thinker", subjectId: thinkerId, requestId, now }),
      ],
      {
        body: { ok: true, loggedOutAt: new Date(now).toISOString() },
        headers: { "set-cookie": clearSessionCookie(url) },
      },
    );
  },
});
