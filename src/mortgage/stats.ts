/**
 * (being built)
 *
 * @module
 */
import type { AnyRoute } from "../http/route";

export const mortgageStatsRoutes: readonly AnyRoute[] = [];
