/**
 * (being built)
 *
 * @module
 */
import type { AnyRoute } from "../http/route";

export const partyRoutes: readonly AnyRoute[] = [];
