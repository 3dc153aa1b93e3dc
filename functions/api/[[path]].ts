import { allRoutes } from "../../src/app";
import { pagesFunction } from "../../src/http/app";

/**
 * Every /api/* request no route file took. Route files export their one method (`onRequestPost`…),
 * so the Pages router skips them without matching their pattern for any other method; what lands
 * here is served by the whole API: a wrong method on a known path is a JSON 405 naming the methods
 * it serves, `HEAD` of a GET route and CORS preflights are answered, and any other path is a JSON
 * 404 instead of the static site's HTML.
 */
export const onRequest = pagesFunction(...allRoutes);
