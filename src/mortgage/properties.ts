/**
 * Properties: the house or flat a borrower wants to finance. Only its owner ever sees it; an
 * application names it, and the application's loan is bounded by its price less the own capital.
 *
 * @module
 */
import { and, eq } from "drizzle-orm";
import * as z from "zod";
import { isUniqueViolation } from "../db/client";
import { newId } from "../db/ids";
import { PROPERTY_TYPES, properties } from "../db/schema";
import { badRequest, conflict, notFound } from "../core/errors";
import { CursorParam, LimitParam } from "../http/query";
import { type AnyRoute, type HandlerContext, type HandlerResult, defineRoute } from "../http/route";
import { Uid } from "../identity/schemas";
import { mortgageEvent } from "./handler-kit";
import { callerOf } from "../http/authenticate";
import { MoneyIn, MortgageId, PositiveMoneyIn } from "./inputs";
import { afterCursor, newestFirstOrder, pageOf } from "../db/pagination";
import { type PropertyRow, PropertyOut, toProperty } from "./model";

const ok = z.literal(true);

/** `{street, zip, city, country}`; `country` is an ISO 3166-1 alpha-2 code. */
const Address = z.strictObject({
  street: z.string().trim().min(1).max(200),
  zip: z.string().trim().min(1).max(20),
  city: z.string().trim().min(1).max(100),
  country: z.string().regex(/^[A-Z]{2}$/, "must be an ISO 3166-1 alpha-2 code, e.g. DE"),
});

const PropertyMeta = z.strictObject({
  livingAreaSqm: z.number().positive().max(1_000_000).optional(),
  plotSizeSqm: z.number().positive().max(100_000_000).optional(),
  yearBuilt: z.number().int().min(1000).max(2100).optional(),
});

/** `POST /api/hypotheken/property`: the seed's Property object without server-set fields. */
export const PropertyBody = z.strictObject({
  propertyId: MortgageId.optional(),
  /** Accepted for the seed's object shape; must be the caller. */
  ownerUid: Uid.optional(),
  type: z.enum(PROPERTY_TYPES),
  address: Address,
  purchasePrice: PositiveMoneyIn,
  ownCapital: MoneyIn,
  meta: PropertyMeta.optional(),
});

const ListQuery = z.strictObject({ limit: LimitParam(100, 50), cursor: CursorParam });
const NOT_FOUND = { property_not_found: "404 no such property of the caller's" };

/** The property `id` if the caller owns it; 404 otherwise (another owner's property is not revealed). */
export async function ownProperty(ctx: HandlerContext<unknown, unknown>, id: string): Promise<PropertyRow> {
  const [[p]] = await ctx.read([ctx.db.select().from(properties).where(eq(properties.id, id))]);
  if (!p || p.ownerUid !== ctx.caller) throw propertyNotFound(id);
  return p;
}

/** 404 `property_not_found`, naming how to register one. */
export const propertyNotFound = (id: string) =>
  notFound("property_not_found", `no property ${id} of yours: register it with POST /api/hypotheken/property`);

async function createProperty(ctx: HandlerContext<z.output<typeof PropertyBody>, unknown>): Promise<HandlerResult> {
  const { body: b, db, now } = ctx;
  const owner = callerOf(ctx);
  if (b.ownCapital.currency !== b.purchasePrice.currency) {
    throw badRequest("currency_mismatch", "ownCapital must be in the purchase price's currency");
  }
  if (b.ownCapital.amount > b.purchasePrice.amount) {
    throw badRequest("own_capital_exceeds_price", "ownCapital may not exceed the purchase price");
  }
  const row: PropertyRow = {
    id: b.propertyId ?? newId("house", now),
    ownerUid: owner,
    type: b.type,
    address: JSON.stringify(b.address),
    purchasePriceAmount: b.purchasePrice.amount,
    ownCapitalAmount: b.ownCapital.amount,
    currency: b.purchasePrice.currency,
    meta: JSON.stringify(b.meta ?? {}),
    createdAt: now,
    updatedAt: now,
  };
  const event = mortgageEvent(ctx, {
    type: "mortgage.property",
    subjectType: "mortgage_property",
    subjectId: row.id,
    meta: { type: row.type, currency: row.currency },
  });
  try {
    // A new property's room cannot have been entered yet, so there is nobody to push to.
    return await ctx.commit([db.insert(properties).values(row), event], {
      body: { ok: true, propertyId: row.id, property: toProperty(row) },
    });
  } catch (err) {
    if (isUniqueViolation(err, "properties", "id")) throw conflict("property_exists", `property id ${row.id} is taken`);
    throw err;
  }
}

export const createPropertyRoute = defineRoute({
  id: "mortgage.property.create",
  method: "POST",
  path: "/api/hypotheken/property",
  tag: "mortgage",
  summary: "Register a property (owner = caller): type, address, purchase price and own capital in one currency.",
  auth: "required",
  access: "write",
  body: PropertyBody,
  response: z.object({ ok, propertyId: z.string(), property: PropertyOut }),
  errors: {
    property_exists: "409 propertyId taken",
    currency_mismatch: "400 ownCapital is not in the purchase price's currency",
    own_capital_exceeds_price: "400",
  },
  claims: ({ body }) => [body.ownerUid],
  handler: createProperty,
});

export const listPropertiesRoute = defineRoute({
  id: "mortgage.property.list",
  method: "GET",
  path: "/api/hypotheken/property/list",
  tag: "mortgage",
  summary: "The caller's properties, newest first, cursor-paginated.",
  auth: "required",
  access: "read",
  query: ListQuery,
  response: z.object({ ok, items: z.array(PropertyOut), nextCursor: z.string().nullable() }),
  async handler(ctx) {
    const key = { createdAt: properties.createdAt, id: properties.id };
    const where = and(eq(properties.ownerUid, callerOf(ctx)), afterCursor(key, ctx.query.cursor));
    const [rows] = await ctx.read([
      ctx.db
        .select()
        .from(properties)
        .where(where)
        .orderBy(...newestFirstOrder(key))
        .limit(ctx.query.limit + 1),
    ]);
    const page = pageOf(rows, ctx.query.limit, (p) => [p.createdAt, p.id]);
    return { body: { ok: true, items: page.items.map(toProperty), nextCursor: page.nextCursor } };
  },
});

export const getPropertyRoute = defineRoute({
  id: "mortgage.property.get",
  method: "GET",
  path: "/api/hypotheken/property/:id",
  tag: "mortgage",
  summary: "One of the caller's properties (anyone else's answers 404).",
  auth: "required",
  access: "read",
  response: z.object({ ok, property: PropertyOut }),
  errors: NOT_FOUND,
  async handler(ctx) {
    const id = ctx.params.id ?? "";
    if (!MortgageId.safeParse(id).success) throw propertyNotFound(id);
    return { body: { ok: true, property: toProperty(await ownProperty(ctx, id)) } };
  },
});

/** The property routes; the static `list` path is registered before `:id` so it is never read as an id. */
export const propertyRoutes: readonly AnyRoute[] = [createPropertyRoute, listPropertiesRoute, getPropertyRoute];
