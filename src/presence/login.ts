/**
 * Sessions: `POST /api/presence/verify` turns a signed manifest link into a thinker and a session;
 * `POST /api/presence/logout` ends every session of the caller (all devices).
 *
 * @module
 */
import { eq, sql } from "drizzle-orm";
import * as z from "zod";
import { isUniqueViolation } from "../db/client";
import { presenceSessions, thinkers, usedLinkNonces } from "../db/schema";
import { eventStatement } from "../events/events";
import { identityHashKey, linkSecrets, sessionKeys } from "../core/config";
import { badRequest, conflict } from "../core/errors";
import { defineRoute } from "../http/route";
import { sha256Hex } from "../core/crypto";
import { verifyLink } from "../identity/link";
import { Mot, Uid } from "../identity/schemas";
import { clearSessionCookie, sessionCookie, signSession } from "../identity/session";
import { thinkerIdentity } from "../identity/thinker";

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

export const verify = defineRoute({
  id: "presence.verify",
  method: "POST",
  path: "/api/presence/verify",
  tag: "identity",
  summary: "Verify a signed manifest link; returns the thinker id and a session (also set as cookie).",
  auth: "none",
  login: true,
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
    const keys = sessionKeys(env);
    let gen: number | undefined;
    try {
      await commit(
        [
          db
            .insert(usedLinkNonces)
            .values({ sigHash: await sha256Hex(body.sig.toLowerCase()), uid: body.uid, ts: body.ts, usedAt: now }),
          // A new row starts its session generation at this instant; a known one keeps it (other devices stay in).
          db
            .insert(thinkers)
            .values({ id: thinkerId, publicId, createdAt: now, verifiedAt: now, sessionGen: now })
            .onConflictDoUpdate({ target: thinkers.publicId, set: { verifiedAt: now, deletedAt: sql`NULL` } })
            .returning({ gen: thinkers.sessionGen }),
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
        (rows) => {
          gen = (rows[1] as { gen: number }[])[0]?.gen;
        },
      );
    } catch (err) {
      if (isUniqueViolation(err, "used_link_nonces")) throw conflict("link_replayed", "this link was already used");
      throw err;
    }
    if (gen === undefined) throw new Error("verify: the thinker upsert returned no row");
    const session = await signSession({ uid: body.uid, thinkerId, gen }, keys, now, config.sessionTtlSeconds);
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

export const logout = defineRoute({
  id: "presence.logout",
  method: "POST",
  path: "/api/presence/logout",
  tag: "identity",
  summary:
    "End every session of the caller (all devices): the thinker's session generation moves on, so every token signed before answers 401 session_revoked. Clears the cookie.",
  auth: "verified",
  access: "write",
  // A repeat finds the session already ended (401 session_revoked): the outcome is stable without a stored response.
  idempotent: false,
  response: z.object({ ok: z.literal(true), loggedOutAt: z.string() }),
  async handler({ caller, env, db, now, requestId, url, commit }) {
    const uid = caller ?? "";
    const { thinkerId } = await thinkerIdentity(uid, identityHashKey(env));
    // The unit of work's session guard runs in this batch first: only a live session logs out.
    return commit(
      [
        db
          .update(thinkers)
          .set({ sessionGen: sql`MAX(${thinkers.sessionGen} + 1, ${now})` })
          .where(eq(thinkers.id, thinkerId)),
        eventStatement(db, { type: "auth.logout", actorUid: uid, subjectType: "thinker", subjectId: thinkerId, requestId, now }),
      ],
      {
        body: { ok: true, loggedOutAt: new Date(now).toISOString() },
        headers: { "set-cookie": clearSessionCookie(url) },
      },
    );
  },
});
