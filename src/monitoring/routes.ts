/**
 * Monitoring routes (issue 4 §3): stats, the event log, the dashboard and health.
 *
 * @module
 */
import type { AnyRoute } from "../http/route";

/** Every monitoring route, for the registry. */
export const monitoringRoutes: readonly AnyRoute[] = [];
