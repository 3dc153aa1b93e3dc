/**
 * Right to deletion (issue 4 §3, seed 003 §5).
 *
 * @module
 */
import type { AnyRoute } from "../http/route";

/** Every privacy route, for the registry. */
export const privacyRoutes: readonly AnyRoute[] = [];
