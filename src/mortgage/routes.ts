/**
 * Every route of the mortgage marketplace, for the registry in `src/routes.ts`.
 *
 * @module
 */
import type { AnyRoute } from "../http/route";
import { applicationRoutes } from "./applications";
import { contractRoutes } from "./contracts";
import { offerRoutes } from "./offers";
import { partyRoutes } from "./parties";
import { propertyRoutes } from "./properties";
import { mortgageStatsRoutes } from "./stats";
import { trancheRoutes } from "./tranches";

/** The mortgage routes, in the order the flow uses them. */
export const mortgageRoutes: readonly AnyRoute[] = [
  ...partyRoutes,
  ...propertyRoutes,
  ...applicationRoutes,
  ...offerRoutes,
  ...contractRoutes,
  ...trancheRoutes,
  ...mortgageStatsRoutes,
];
