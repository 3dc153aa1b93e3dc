/**
 * Device keys (`src/identity/device.ts`): register a device's public key, get a challenge, log in
 * by signing it, remove a key. A device login answers exactly as verify does (session + cookie);
 * logout everywhere revokes every key of the person (`./login.ts`), erasure deletes them.
 *
 * @module
 */
import { and, count, eq, isNull, sql } from "drizzle-orm";
import * as z from "zod";
import { sessionKeys } from "../core/config";
import { badRequest, conflict, notFound, unauthorized } from "../core/errors";
import { sha256Hex } from "../core/crypto";
import { isGuardAbort, isUniqueViolation } from "../db/client";
import { newId } from "../db/ids";
import { deviceKeys, thinkers, usedDeviceChallenges, writeGuards } from "../db/schema";
import { eventStatement } from "../events/events";
import { callerOf, sessionOf } from "../http/authenticate";
import { defineRoute } from "../http/route";
import {
  KEY_ID_PATTERN,
  KeyId,
  MAX_DEVICE_KEYS,
  PublicKeyJwk,
  type StoredPublicKey,
  checkChallenge,
  importPublicKey,
  issueChallenge,
  verifyDeviceSignature,
} from "../identity/device";
import { SessionResponse, sessionAnswer } from "./login";

const Label = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[^\p{Cc}\p{Cf}]*$/u, "must not contain control or format characters");

const RegisterBody = z.strictObject({
  publicKey: PublicKeyJwk,
  /** A name the person recognises the device by ("Handy", "Laptop"). */
  label: Label.nullable().optional(),
});

const deviceKeyRevoked = () =>
  unauthorized("device_key_revoked", "this device key is unknown, revoked or erased; open the portal again from your manifest");

export const registerDeviceKey = defineRoute({
  id: "presence.device_key.register",
  method: "POST",
  path: "/api/presence/device-key",
  tag: "identity",
  summary: `Register a device's ECDSA P-256 public key (JWK) for later device logins; at most ${MAX_DEVICE_KEYS} live keys per person.`,
  auth: "verified",
  access: "write",
  body: RegisterBody,
  response: z.object({ ok: z.literal(true), keyId: z.string(), createdAt: z.string() }),
  errors: {
    invalid_public_key: "400 the key is not a point of P-256",
    too_many_device_keys: `409 the caller already has ${MAX_DEVICE_KEYS} live device keys`,
  },
  async handler(ctx) {
    const { body, db, now, requestId, commit } = ctx;
    const uid = callerOf(ctx);
    const publicKey: StoredPublicKey = { kty: "EC", crv: "P-256", x: body.publicKey.x, y: body.publicKey.y };
    if (!(await importPublicKey(publicKey))) throw badRequest("invalid_public_key", "publicKey is not a P-256 public key");
    const thinkerId = sessionOf(ctx).thinkerId;
    const keyId = newId("dk", now);
    const live = db
      .select({ n: count() })
      .from(deviceKeys)
      .where(and(eq(deviceKeys.uid, uid), isNull(deviceKeys.revokedAt)));
    try {
      return await commit(
        [
          // The limit is counted inside the batch: concurrent registrations cannot pass it together.
          db.insert(writeGuards).select(sql`SELECT NULL WHERE (${live}) >= ${MAX_DEVICE_KEYS}`),
          db.insert(deviceKeys).values({
            id: keyId,
            uid,
            thinkerId,
            publicKey: JSON.stringify(publicKey),
            label: body.label ?? null,
            createdAt: now,
          }),
          eventStatement(db, {
            type: "auth.device_key.registered",
            actorUid: uid,
            subjectType: "device_key",
            subjectId: keyId,
            requestId,
            now,
          }),
        ],
        { body: { ok: true, keyId, createdAt: new Date(now).toISOString() } },
      );
    } catch (err) {
      if (isGuardAbort(err)) {
        throw conflict("too_many_device_keys", `at most ${MAX_DEVICE_KEYS} device keys; remove one first`);
      }
      throw err;
    }
  },
});

export const deviceChallenge = defineRoute({
  id: "presence.device_challenge",
  method: "POST",
  path: "/api/presence/device-challenge",
  tag: "identity",
  summary:
    "A challenge for a device login with this key: stateless (MAC'd), valid 120 s, single use. Answered for any well-formed key id; the login decides.",
  auth: "none",
  access: "write",
  // A new challenge per call is the point; nothing is written.
  idempotent: false,
  body: z.strictObject({ keyId: KeyId }),
  response: z.object({ ok: z.literal(true), challenge: z.string(), expiresAt: z.string() }),
  async handler({ body, env, now }) {
    // Not looked up: the answer must not tell which key ids exist.
    const { challenge, expiresAt } = await issueChallenge(body.keyId, sessionKeys(env), now);
    return { body: { ok: true, challenge, expiresAt: new Date(expiresAt).toISOString() } };
  },
});

export const deviceLogin = defineRoute({
  id: "presence.device_login",
  method: "POST",
  path: "/api/presence/device-login",
  tag: "identity",
  summary:
    "Log in with a device key: the signature (base64url of the raw 64-byte r‖s, ECDSA P-256/SHA-256 over the UTF-8 challenge) of a fresh challenge; answers as verify (session + cookie).",
  auth: "none",
  login: true,
  access: "write",
  // A used challenge answers 409: a retry is safe without a stored response (which would keep a session token in D1).
  idempotent: false,
  body: z.strictObject({
    keyId: KeyId,
    challenge: z.string().max(256),
    signature: z.string().max(256),
  }),
  response: SessionResponse,
  errors: {
    invalid_challenge: "401 the challenge is malformed, forged or for another key",
    challenge_expired: "401 the challenge is older than 120 s",
    invalid_signature: "401 the signature is not the key's over the challenge",
    device_key_revoked: "401 the key is unknown, revoked or erased",
    challenge_replayed: "409 the challenge was already used",
  },
  async handler(ctx) {
    const { body, env, db, now, requestId, read, commit } = ctx;
    const keys = sessionKeys(env);
    await checkChallenge(body.challenge, body.keyId, keys, now);
    const [found] = await read([db.select().from(deviceKeys).where(eq(deviceKeys.id, body.keyId))]);
    const row = found[0];
    if (!row || row.revokedAt !== null) throw deviceKeyRevoked();
    const key = await importPublicKey(JSON.parse(row.publicKey) as StoredPublicKey);
    if (!key || !(await verifyDeviceSignature(key, body.challenge, body.signature))) {
      throw unauthorized("invalid_signature", "the signature does not verify with this device key");
    }
    const keyLive = db
      .select({ one: sql`1` })
      .from(deviceKeys)
      .where(and(eq(deviceKeys.id, row.id), isNull(deviceKeys.revokedAt)));
    const thinkerLive = db
      .select({ one: sql`1` })
      .from(thinkers)
      .where(and(eq(thinkers.id, row.thinkerId), isNull(thinkers.deletedAt)));
    let gen: number | undefined;
    try {
      await commit(
        [
          // Revoked (logout everywhere) or erased since the read above: no session.
          db.insert(writeGuards).select(sql`SELECT NULL WHERE NOT EXISTS ${keyLive} OR NOT EXISTS ${thinkerLive}`),
          db.insert(usedDeviceChallenges).values({ challengeHash: await sha256Hex(body.challenge), keyId: row.id, usedAt: now }),
          db.update(deviceKeys).set({ lastUsedAt: now }).where(eq(deviceKeys.id, row.id)),
          db.select({ gen: thinkers.sessionGen }).from(thinkers).where(eq(thinkers.id, row.thinkerId)),
          eventStatement(db, {
            type: "auth.device_login",
            actorUid: row.uid,
            subjectType: "thinker",
            subjectId: row.thinkerId,
            meta: { keyId: row.id },
            requestId,
            now,
          }),
        ],
        { body: null },
        (rows) => {
          gen = (rows[3] as { gen: number }[])[0]?.gen;
        },
      );
    } catch (err) {
      if (isUniqueViolation(err, "used_device_challenges"))
        throw conflict("challenge_replayed", "this challenge was already used");
      if (isGuardAbort(err)) throw deviceKeyRevoked();
      throw err;
    }
    if (gen === undefined) throw new Error("device login: the thinker row returned no generation");
    return sessionAnswer(ctx, { uid: row.uid, thinkerId: row.thinkerId, gen });
  },
});

export const revokeDeviceKey = defineRoute({
  id: "presence.device_key.revoke",
  method: "DELETE",
  path: "/api/presence/device-key/:keyId",
  tag: "identity",
  summary:
    "Remove (revoke) one of the caller's device keys: it can no longer log in. Repeating it answers the first revocation's time.",
  auth: "verified",
  access: "write",
  // A repeat answers the stored revocation time: stable without a stored response.
  idempotent: false,
  response: z.object({ ok: z.literal(true), keyId: z.string(), revokedAt: z.string() }),
  errors: { device_key_not_found: "404 no such key among the caller's own" },
  async handler(ctx) {
    const { db, now, requestId, params, read, commit } = ctx;
    const uid = callerOf(ctx);
    const keyId = params.keyId ?? "";
    const notOwn = () => notFound("device_key_not_found", "no such device key among yours");
    if (!KEY_ID_PATTERN.test(keyId)) throw notOwn();
    const own = and(eq(deviceKeys.id, keyId), eq(deviceKeys.uid, uid));
    const [found] = await read([db.select({ revokedAt: deviceKeys.revokedAt }).from(deviceKeys).where(own)]);
    const row = found[0];
    if (!row) throw notOwn();
    const answer = (at: number) => ({ body: { ok: true, keyId, revokedAt: new Date(at).toISOString() } });
    if (row.revokedAt !== null) return answer(row.revokedAt);
    return commit(
      [
        db
          .update(deviceKeys)
          .set({ revokedAt: now })
          .where(and(own, isNull(deviceKeys.revokedAt))),
        eventStatement(db, {
          type: "auth.device_key.revoked",
          actorUid: uid,
          subjectType: "device_key",
          subjectId: keyId,
          requestId,
          now,
        }),
      ],
      answer(now),
    );
  },
});

/** The device-key routes, for the registry. */
export const deviceRoutes = [registerDeviceKey, deviceChallenge, deviceLogin, revokeDeviceKey];
