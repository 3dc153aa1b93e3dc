/**
 * Parties: lenders and notaries are verified uids an admin grants a role. Admin routes to grant,
 * revoke and list them, and the lender directory a borrower invites lenders from.
 *
 * @module
 */
import * as z from "zod";
import { badRequest } from "../core/errors";
import { type AnyRoute, defineRoute } from "../http/route";
import { Uid } from "../identity/schemas";
import { deleteParty, putParty } from "./parties.actions";
import { PartyOut, lenderPage, partyPage } from "./parties.read";
import { LenderListQuery, PartyListQuery, PutPartyBody } from "./parties.schemas";
import type { PartyRole } from "./roles";

const ok = z.literal(true);
const BAD_UID = { bad_uid: "400 the path's uid is not a uid (1-128 characters of A-Z a-z 0-9 _ -)" };
const Roles = z.array(z.enum(["lender", "notary"] satisfies PartyRole[]));
const PartyChange = z.object({ ok, party: PartyOut, granted: Roles, revoked: Roles });

/** The `:uid` of the path, as a uid a session could have. */
function pathUid(params: Record<string, string>): string {
  const uid = params.uid ?? "";
  if (!Uid.safeParse(uid).success) throw badRequest("bad_uid", "uid must be 1-128 characters of A-Z a-z 0-9 _ -");
  return uid;
}

export const putPartyRoute = defineRoute({
  id: "admin.parties.put",
  method: "PUT",
  path: "/api/admin/parties/:uid",
  tag: "admin",
  summary:
    "Create or rename a party and replace its role set (lender, notary; [] revokes all) in one batch; one party.grant / party.revoke event per changed role.",
  auth: "admin",
  access: "write",
  body: PutPartyBody,
  response: PartyChange,
  errors: { ...BAD_UID },
  handler: (ctx) => putParty(ctx, pathUid(ctx.params)),
});

export const deletePartyRoute = defineRoute({
  id: "admin.parties.revoke",
  method: "DELETE",
  path: "/api/admin/parties/:uid",
  tag: "admin",
  summary: "Revoke every role of a party (the party row and its history stay); one party.revoke event per role.",
  auth: "admin",
  access: "write",
  response: PartyChange,
  errors: { ...BAD_UID, party_not_found: "404 no party has this uid" },
  handler: (ctx) => deleteParty(ctx, pathUid(ctx.params)),
});

export const listPartiesRoute = defineRoute({
  id: "admin.parties.list",
  method: "GET",
  path: "/api/admin/parties",
  tag: "admin",
  summary: "Parties with their roles, newest first (optionally only those holding `role`), cursor-paginated.",
  auth: "admin",
  access: "read",
  query: PartyListQuery,
  response: z.object({ ok, items: z.array(PartyOut), nextCursor: z.string().nullable() }),
  handler: async (ctx) => ({ body: { ok: true, ...(await partyPage(ctx.db, ctx.query)) } }),
});

export const lendersRoute = defineRoute({
  id: "mortgage.lenders",
  method: "GET",
  path: "/api/hypotheken/lenders",
  tag: "mortgage",
  summary: "The current lenders (uid and display name), newest first: whom a borrower can invite to a private application.",
  auth: "required",
  access: "read",
  query: LenderListQuery,
  response: z.object({
    ok,
    items: z.array(z.object({ uid: z.string(), displayName: z.string() })),
    nextCursor: z.string().nullable(),
  }),
  handler: async (ctx) => ({ body: { ok: true, ...(await lenderPage(ctx.db, ctx.query)) } }),
});

/** The party routes, for the mortgage registry. */
export const partyRoutes: readonly AnyRoute[] = [putPartyRoute, deletePartyRoute, listPartiesRoute, lendersRoute];
