/**
 * (being built)
 *
 * @module
 */
import type { AnyRoute } from "../http/route";

export const offerRoutes: readonly AnyRoute[] = [];
