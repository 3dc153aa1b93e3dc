import { apiMiddleware } from "../../src/http/app";

/** Every /api/* request: a path with an empty segment is a JSON 404, never the static site. */
export const onRequest = apiMiddleware();
