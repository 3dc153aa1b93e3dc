import { AppError, toErrorResponse } from "../../src/http/errors";

/** Any other /api/* path: a JSON 404 instead of the static site's HTML. */
export const onRequest: PagesFunction = () => toErrorResponse(new AppError(404, "not_found", "no such route"));
