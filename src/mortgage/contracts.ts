/**
 * Route declarations of the mortgage contracts: signatures, the notary, cancellation, and the
 * contracts a person is party to. State changes live in `contracts.actions.ts`.
 *
 * @module
 */
import { and, eq, or } from "drizzle-orm";
import * as z from "zod";
import { mortgageContracts } from "../db/schema";
import { type AnyRoute, defineRoute } from "../http/route";
import { isObjectId, newestFirstPage } from "./contract-tranche-kit";
import { callerOf } from "../http/authenticate";
import { contractNotFound, isContractParty, updateContractStatus } from "./contracts.actions";
import { ContractListQuery, UpdateStatusBody } from "./contracts.schemas";
import { ContractOut, toContract } from "./model";

const ok = z.literal(true);

export const updateStatus = defineRoute({
  id: "mortgage.contract.update-status",
  method: "POST",
  path: "/api/hypotheken/vertrag/update-status",
  tag: "mortgage",
  summary:
    "Sign a contract (borrower, lender, then a notary), name its notary, or cancel it before it is signed. A repeated signature answers alreadySigned without a second effect; the notary's signature makes it signed and charges the lender the contract fee.",
  auth: "required",
  access: "write",
  body: UpdateStatusBody,
  response: z.object({ ok, alreadySigned: z.boolean(), contract: ContractOut }),
  errors: {
    contract_not_found: "404 no such contract among those the caller is party to",
    not_allowed: "403 the caller may not take this action on the contract (e.g. sign for the other party)",
    not_notary: "403 only a notary who is not a party to the contract may notarize it",
    invalid_notary: "400 notaryUid does not hold the notary role, or is a party to the contract",
    invalid_transition: "409 the contract's status does not allow this action ({from, to} in details)",
    concurrent_update: "409 the contract changed while the request ran; retry",
  },
  handler: updateContractStatus,
});

export const contractList = defineRoute({
  id: "mortgage.contract.list",
  method: "GET",
  path: "/api/hypotheken/vertrag/list",
  tag: "mortgage",
  summary:
    "Contracts the caller is party to (borrower, lender or named notary; `role` narrows to one), newest first, cursor-paginated.",
  auth: "required",
  access: "read",
  query: ContractListQuery,
  response: z.object({ ok, contracts: z.array(ContractOut), nextCursor: z.string().nullable() }),
  async handler(ctx) {
    const me = callerOf(ctx);
    const c = mortgageContracts;
    const q = ctx.query;
    const as = { borrower: eq(c.borrowerUid, me), lender: eq(c.lenderUid, me), notary: eq(c.notaryUid, me) };
    const mine = q.role ? as[q.role] : or(as.borrower, as.lender, as.notary);
    const p = await newestFirstPage(ctx.db, c, and(mine, q.status ? eq(c.status, q.status) : undefined), q);
    return { body: { ok: true, contracts: p.items.map(toContract), nextCursor: p.nextCursor } };
  },
});

export const contractGet = defineRoute({
  id: "mortgage.contract.get",
  method: "GET",
  path: "/api/hypotheken/vertrag/:id",
  tag: "mortgage",
  summary: "One contract, for its borrower, its lender and its named notary (anyone else: 404).",
  auth: "required",
  access: "read",
  response: z.object({ ok, contract: ContractOut }),
  errors: { contract_not_found: "404 no such contract among those the caller is party to" },
  async handler(ctx) {
    const me = callerOf(ctx);
    const id = ctx.params.id;
    if (!isObjectId(id)) throw contractNotFound();
    const k = await ctx.db.select().from(mortgageContracts).where(eq(mortgageContracts.id, id)).get();
    if (!k || !isContractParty(k, me)) throw contractNotFound();
    return { body: { ok: true, contract: toContract(k) } };
  },
});

/** The contract routes; the list before `:id`, so `list` is never taken for an id. */
export const contractRoutes: readonly AnyRoute[] = [updateStatus, contractList, contractGet];
