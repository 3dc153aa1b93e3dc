/**
 * Settlement and fee administration routes (issue 4 §3).
 *
 * @module
 */
import type { AnyRoute } from "../http/route";

/** Every settlement and fee route, for the registry. */
export const settlementRoutes: readonly AnyRoute[] = [];
