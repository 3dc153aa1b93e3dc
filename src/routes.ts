/**
 * Registry of every API route. `functions/` wires each one to its URL; tests and the OpenAPI
 * document use the list as a whole.
 *
 * @module
 */
import type { AnyRoute } from "./http/route";
import { legalRoutes } from "./legal/routes";
import { deviceRoutes } from "./presence/device";
import { logout, verify } from "./presence/login";
import { manifestRoutes } from "./manifest/routes";
import { telemetryRoutes } from "./telemetry/routes";
import { monitoringRoutes } from "./monitoring/routes";
import { mortgageRoutes } from "./mortgage/routes";
import * as presence from "./presence/routes";
import { privacyRoutes } from "./privacy/routes";
import { meRoutes } from "./privacy/me";
import * as rooms from "./rooms/routes";
import { settlementRoutes } from "./settlements/routes";
import { telbankRoutes } from "./telbank/routes";
import * as vouchers from "./vouchers/routes";
import { voucherStats } from "./vouchers/stats";

/** All API routes except the documentation routes. */
export const apiRoutes: readonly AnyRoute[] = [
  verify,
  logout,
  ...deviceRoutes,
  presence.heartbeat,
  presence.match,
  vouchers.issue,
  vouchers.list,
  vouchers.templates,
  vouchers.slotsAvailable,
  vouchers.book,
  vouchers.cancel,
  vouchers.bookings,
  vouchers.reschedule,
  vouchers.redeem,
  vouchers.transfer,
  voucherStats,
  rooms.ticket,
  rooms.ws,
  rooms.get,
  rooms.legacy,
  ...mortgageRoutes,
  ...legalRoutes,
  ...manifestRoutes,
  ...telemetryRoutes,
  ...telbankRoutes,
  ...meRoutes,
  // Admin (bearer ADMIN_TOKEN).
  ...settlementRoutes,
  ...monitoringRoutes,
  ...privacyRoutes,
];
