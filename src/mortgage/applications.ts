/**
 * Mortgage applications: a borrower asks for a loan on one of its properties; lenders see it
 * (market: all of them; private: the ones invited) and answer with offers. The routes under
 * `/api/hypotheken/anfrage…` use the seed's names; `/api/mortgage/application…` are the original
 * portal's aliases with the same body and answer.
 *
 * @module
 */
import * as z from "zod";
import { forbidden } from "../core/errors";
import { type AnyRoute, defineRoute } from "../http/route";
import { createApplication, shareApplication, withdrawApplication } from "./applications.actions";
import { applicationAccess, applicationNotFound, borrowerPage, lenderPage } from "./applications.read";
import { ApplicationBody, ApplicationListQuery, ShareBody, WithdrawBody } from "./applications.schemas";
import { MortgageId } from "./inputs";
import { ApplicationOut, toApplication } from "./model";

const ok = z.literal(true);
const NOT_FOUND = { application_not_found: "404 no such application visible to the caller" };
const NOT_BORROWER = { not_borrower: "403 a lender who sees the application is not its borrower" };

const CREATE_ERRORS = {
  property_not_found: "404 the property is not the caller's: register it with POST /api/hypotheken/property",
  currency_mismatch: "400 desiredLoan is not in the property's currency",
  loan_exceeds_need: "400 desiredLoan is more than the purchase price less own capital ({maxLoan, requested} in details)",
  unknown_lender: "400 an invited uid holds no lender role ({uids} in details)",
  self_invite: "400 the borrower named itself as a lender",
  application_exists: "409 applicationId taken",
};
const CreateOut = z.object({ ok, applicationId: z.string(), application: ApplicationOut });
const ListOut = z.object({ ok, applications: z.array(ApplicationOut), nextCursor: z.string().nullable() });
const LIST_ERRORS = {
  not_lender: "403 role=lender, but the caller holds no lender role",
};

const createSpec = {
  tag: "mortgage",
  auth: "required",
  access: "write",
  body: ApplicationBody,
  response: CreateOut,
  errors: CREATE_ERRORS,
  claims: ({ body }: { body: z.output<typeof ApplicationBody> }) => [body.borrowerUid],
  handler: createApplication,
} as const;

export const createApplicationRoute = defineRoute({
  ...createSpec,
  id: "mortgage.application.create",
  method: "POST",
  path: "/api/hypotheken/anfrage",
  summary:
    "Submit a mortgage application for one of the caller's properties (loan ≤ price − own capital, in its currency); private (invited lenders only) or market.",
});

export const createApplicationAlias = defineRoute({
  ...createSpec,
  id: "mortgage.application.create.original",
  method: "POST",
  path: "/api/mortgage/application",
  summary: "The original portal's name for POST /api/hypotheken/anfrage (same body and answer).",
});

const listSpec = {
  tag: "mortgage",
  auth: "required",
  access: "read",
  query: ApplicationListQuery,
  response: ListOut,
  errors: LIST_ERRORS,
  async handler(ctx) {
    const page = ctx.query.role === "borrower" ? await borrowerPage(ctx, ctx.query) : await lenderPage(ctx, ctx.query);
    if (!page) throw forbidden("not_lender", "role=lender needs the lender role (granted by an admin)");
    return { body: { ok: true, ...page } };
  },
} as const satisfies Partial<Parameters<typeof defineRoute<undefined, typeof ApplicationListQuery>>[0]>;

export const listApplicationsRoute = defineRoute({
  ...listSpec,
  id: "mortgage.application.list",
  method: "GET",
  path: "/api/hypotheken/anfrage/list",
  summary:
    "role=borrower: the caller's applications; role=lender: market applications open to offers, those shared with the caller and those it offered on (financial data only where shared). Newest first, cursor-paginated.",
});

export const listApplicationsAlias = defineRoute({
  ...listSpec,
  id: "mortgage.application.list.original",
  method: "GET",
  path: "/api/mortgage/application-list",
  summary: "The original portal's name for GET /api/hypotheken/anfrage/list (same query and answer).",
});

export const shareApplicationRoute = defineRoute({
  id: "mortgage.application.share",
  method: "POST",
  path: "/api/hypotheken/anfrage/share",
  tag: "mortgage",
  summary:
    "The borrower shares an open application with a lender: it then sees a private application and the financial data. Repeat → alreadyShared, nothing written.",
  auth: "required",
  access: "write",
  body: ShareBody,
  response: z.object({ ok, alreadyShared: z.boolean(), lenderUid: z.string(), application: ApplicationOut }),
  errors: {
    ...NOT_FOUND,
    ...NOT_BORROWER,
    unknown_lender: "400 lenderUid holds no lender role",
    self_invite: "400 lenderUid is the borrower",
    application_closed: "409 the application is accepted or withdrawn",
  },
  handler: shareApplication,
});

export const withdrawApplicationRoute = defineRoute({
  id: "mortgage.application.withdraw",
  method: "POST",
  path: "/api/hypotheken/anfrage/withdraw",
  tag: "mortgage",
  summary: "The borrower withdraws an open or offered application; every offer on it still offered is declined.",
  auth: "required",
  access: "write",
  body: WithdrawBody,
  response: z.object({ ok, application: ApplicationOut, declinedOfferIds: z.array(z.string()) }),
  errors: { ...NOT_FOUND, ...NOT_BORROWER, invalid_transition: "409 not open or offered ({from, to} in details)" },
  handler: withdrawApplication,
});

export const getApplicationRoute = defineRoute({
  id: "mortgage.application.get",
  method: "GET",
  path: "/api/hypotheken/anfrage/:id",
  tag: "mortgage",
  summary: "One application: for its borrower, or a lender who may see it (financial data only where shared).",
  auth: "required",
  access: "read",
  response: z.object({ ok, application: ApplicationOut }),
  errors: NOT_FOUND,
  async handler(ctx) {
    const id = ctx.params.id ?? "";
    if (!MortgageId.safeParse(id).success) throw applicationNotFound(id);
    const access = await applicationAccess(ctx, id);
    if (access.as === "none") throw applicationNotFound(id);
    return { body: { ok: true, application: toApplication(access.row, access.financialsShared) } };
  },
});

/** The application routes; static paths come before `:id` so they are never read as an id. */
export const applicationRoutes: readonly AnyRoute[] = [
  createApplicationRoute,
  createApplicationAlias,
  listApplicationsRoute,
  listApplicationsAlias,
  shareApplicationRoute,
  withdrawApplicationRoute,
  getApplicationRoute,
];
