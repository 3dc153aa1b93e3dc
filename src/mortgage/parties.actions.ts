/**
 * Party administration: an admin grants a verified uid the roles `lender` and `notary`. The role
 * set is replaced in one batch, and each `party.grant` / `party.revoke` event is written by SQL
 * that sees the roles as the batch finds them (an `INSERT … SELECT` before the role rows change),
 * so two admins acting at once can never log a change that did not happen, or miss one.
 *
 * @module
 */
import { and, eq, notInArray, sql } from "drizzle-orm";
import type { z } from "zod";
import { type Statement, abortUnlessChanged, isGuardAbort } from "../db/client";
import { sqlNewId } from "../db/ids";
import { events, parties, partyRoles } from "../db/schema";
import { notFound } from "../core/errors";
import type { HandlerContext, HandlerResult } from "../http/route";
import type { PartyRole } from "./roles";
import { type PartyRow, partyBody, partyRolesOf } from "./parties.read";
import type { PutPartyBody } from "./parties.schemas";

type Ctx<B> = HandlerContext<B, unknown>;

/** `PUT /api/admin/parties/:uid`: creates or renames the party and replaces its role set. */
export async function putParty(ctx: Ctx<z.output<typeof PutPartyBody>>, uid: string): Promise<HandlerResult> {
  const { db, now, body } = ctx;
  const roles = body.roles;
  const statements: Statement[] = [
    db
      .insert(parties)
      .values({ uid, displayName: body.displayName, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({ target: parties.uid, set: { displayName: body.displayName, updatedAt: now } }),
    revokeEvents(ctx, uid, roles),
    db.delete(partyRoles).where(and(eq(partyRoles.uid, uid), notInArray(partyRoles.role, roles))),
    ...roles.map((role) => grantEvent(ctx, uid, role)),
    ...roles.map((role) => db.insert(partyRoles).values({ uid, role, grantedAt: now }).onConflictDoNothing()),
    ...partyState(ctx, uid),
  ];
  return ctx.commit(statements, (rows) => {
    const revoked = rolesOfEvents(rows[1]);
    const granted = roles.filter((_, i) => rolesOfEvents(rows[3 + i]).length > 0);
    return { body: { ok: true, party: stateOf(rows), granted, revoked } };
  });
}

/** `DELETE /api/admin/parties/:uid`: revokes every role; the party row stays (404 if there is none). */
export async function deleteParty(ctx: Ctx<unknown>, uid: string): Promise<HandlerResult> {
  const { db, now } = ctx;
  try {
    return await ctx.commit(
      [
        db.update(parties).set({ updatedAt: now }).where(eq(parties.uid, uid)),
        abortUnlessChanged(db),
        revokeEvents(ctx, uid, []),
        db.delete(partyRoles).where(eq(partyRoles.uid, uid)),
        ...partyState(ctx, uid),
      ],
      (rows) => ({ body: { ok: true, party: stateOf(rows), granted: [], revoked: rolesOfEvents(rows[2]) } }),
    );
  } catch (err) {
    if (isGuardAbort(err)) throw notFound("party_not_found", `no party ${uid}`);
    throw err;
  }
}

/** One `party.revoke` event per role `uid` holds now and `keep` does not list (written before the roles are deleted). */
function revokeEvents(ctx: Ctx<unknown>, uid: string, keep: readonly PartyRole[]): Statement {
  return ctx.db
    .insert(events)
    .select(
      sql`SELECT ${sqlNewId("ev", ctx.now)}, 'party.revoke', ${ctx.caller}, 'party', ${uid}, json_object('role', role),
        ${ctx.requestId}, ${ctx.now}
      FROM party_roles WHERE uid = ${uid} AND ${notInArray(partyRoles.role, [...keep])}`,
    )
    .returning({ meta: events.meta });
}

/** A `party.grant` event for `role`, written only if `uid` does not hold it yet (before the role row is inserted). */
function grantEvent(ctx: Ctx<unknown>, uid: string, role: PartyRole): Statement {
  return ctx.db
    .insert(events)
    .select(
      sql`SELECT ${sqlNewId("ev", ctx.now)}, 'party.grant', ${ctx.caller}, 'party', ${uid}, json_object('role', ${role}),
        ${ctx.requestId}, ${ctx.now}
      WHERE NOT EXISTS (SELECT 1 FROM party_roles WHERE uid = ${uid} AND role = ${role})`,
    )
    .returning({ meta: events.meta });
}

/** Trailing reads of the batch: the party row and its roles after the change. */
function partyState(ctx: Ctx<unknown>, uid: string): Statement[] {
  return [ctx.db.select().from(parties).where(eq(parties.uid, uid)), partyRolesOf(ctx.db, uid)];
}

/** The party from the two trailing reads of {@link partyState} (the last two result sets). */
function stateOf(rows: unknown[]) {
  const [party] = rows[rows.length - 2] as PartyRow[];
  const roles = (rows[rows.length - 1] as { role: PartyRole }[]).map((r) => r.role);
  if (!party) throw new Error("party row vanished inside its own batch");
  return partyBody(party, roles);
}

/** The roles named by the event rows a `RETURNING` gave back. */
function rolesOfEvents(result: unknown): PartyRole[] {
  return ((result ?? []) as { meta: string }[]).map((e) => (JSON.parse(e.meta) as { role: PartyRole }).role).sort();
}
