/**
 * The whole API as one Hono app: used by tests and available to a future single-Worker deploy.
 * Pages serves the same route declarations one file per route (see `functions/`).
 *
 * @module
 */
import { docsPage, openapiJson } from "./docs/openapi";
import { buildApp } from "./http/app";
import { apiRoutes } from "./routes";

/** Every route the API serves. */
export const allRoutes = [...apiRoutes, openapiJson, docsPage];

/** The API app. */
export const app = buildApp(allRoutes);
