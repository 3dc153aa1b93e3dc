/**
 * `POST /api/presence/verify`: turns a signed manifest link into a thinker and a session.
 *
 * @module
 */
import { eq, sql } from "drizzle-orm";
import * as z from "zod";
import { isUniqueViolation } from "../db/client";
import { presenceSessions, thinkers, usedLinkNonces } from "../db/schema";
import { eventStatement } from "../events/events";
import { identityHashKey, linkSecrets, sessionKeys } from "../http/config";
import { badRequest, conflict } from "../http/errors";
import { defineRoute } from "../http/route";
import { hmac, sha256Hex, toHex } from "./crypto";
import { verifyLink } from "./link";
import { Mot, Uid } from "./schemas";
import { sessionCookie, signSession } from "./session";

/** Link fields; `token` and `thinker_token` are the legacy names of `mot`. */
const VerifyBody = z
  .strictObject({
    mot: Mot.optional(),
    token: Mot.optional(),
    thinker_token: Mot.optional(),
    uid: Uid,
    ts: z.union([
      z.number().int().nonnegative(),
      z
        .string()
        .regex(/^\d{1,16}$/)
        .transform(Number),
    ]),
    sig: z.string().max(512),
  })
  .transform(({ mot, token, thinker_token, ...rest }) => ({ ...rest, mot: mot ?? token ?? thinker_token }));

const VerifyResponse = z.object({
  ok: z.literal(true),
  thinker_id: z.string(),
  pair_code: z.string().nullable(),
  uid: z.string(),
  session: z.string(),
  expiresAt: z.string(),
});

/** Derives the stored identity of a uid: a keyed hash, never the uid itself. */
export async function thinkerIdentity(uid: string, key: string) {
  const publicId = toHex(await hmac(key, `uid:${uid}`));
  return { publicId, thinkerId: `thinker-${publicId.slice(0, 16)}` };
}

/** A thinker id as verify derives it. */
export const THINKER_ID = /^thinker-[0-9a-f]{16}$/;

/**
 * A thinker id as is; anything else (a verified uid, or a legacy client's local uid) as the
 * thinker id verify derives from it. So the public name of a person never shows the raw uid.
 */
export async function asThinkerId(value: string, key: string): Promise<string> {
  return THINKER_ID.test(value) ? value : (await thinkerIdentity(value, key)).thinkerId;
}

export const verify = defineRoute({
  id: "presence.verify",
  method: "POST",
  path: "/api/presence/verify",
  tag: "identity",
  summary: "Verify a signed manifest link; returns the thinker id and a session (also set as cookie).",
  auth: "none",
  access: "write",
  // Single-use links already make a retry safe (409); a stored response would keep a session token in D1.
  idempotent: false,
  body: VerifyBody,
  response: VerifyResponse,
  errors: {
    invalid_signature: "401 signature malformed or wrong",
    link_expired: "401 link older than 300 s",
    link_from_future: "401 link more than 30 s in the future",
    link_replayed: "409 link already used",
  },
  async handler({ body, env, db, now, requestId, url, config, commit }) {
    if (!body.mot) throw badRequest("validation_failed", "body.mot: required (or legacy token / thinker_token)");
    const link = { mot: body.mot, uid: body.uid, ts: body.ts, sig: body.sig };
    await verifyLink(link, linkSecrets(env), now);
    const { publicId, thinkerId } = await thinkerIdentity(body.uid, identityHashKey(env));
    const session = await signSession(body.uid, sessionKeys(env), now, config.sessionTtlSeconds);
    try {
      await commit(
        [
          db
            .insert(usedLinkNonces)
            .values({ sigHash: await sha256Hex(body.sig.toLowerCase()), uid: body.uid, ts: body.ts, usedAt: now }),
          db
            .insert(thinkers)
            .values({ id: thinkerId, publicId, createdAt: now, verifiedAt: now })
            .onConflictDoUpdate({ target: thinkers.publicId, set: { verifiedAt: now, deletedAt: sql`NULL` } }),
          eventStatement(db, {
            type: "auth.verified",
            actorUid: body.uid,
            subjectType: "thinker",
            subjectId: thinkerId,
            requestId,
            now,
          }),
        ],
        { body: null },
      );
    } catch (err) {
      if (isUniqueViolation(err, "used_link_nonces")) throw conflict("link_replayed", "this link was already used");
      throw err;
    }
    const presence = await db
      .select({ pairCode: presenceSessions.pairCode })
      .from(presenceSessions)
      .where(eq(presenceSessions.thinkerId, thinkerId))
      .get();
    return {
      body: {
        ok: true,
        thinker_id: thinkerId,
        pair_code: presence?.pairCode ?? null,
        uid: body.uid,
        session: session.token,
        expiresAt: new Date(session.expiresAt).toISOString(),
      },
      headers: { "set-cookie": sessionCookie(session.token, session.expiresAt, now, url) },
    };
  },
});
