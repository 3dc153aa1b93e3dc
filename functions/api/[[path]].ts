import { notFoundFunction } from "../../src/http/app";

/** Any other /api/* path: a JSON 404 instead of the static site's HTML. */
export const onRequest = notFoundFunction();
