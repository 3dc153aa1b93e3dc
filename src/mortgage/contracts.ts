/**
 * (being built)
 *
 * @module
 */
import type { AnyRoute } from "../http/route";

export const contractRoutes: readonly AnyRoute[] = [];
