import { pagesFunction } from "../../../../src/http/app";
import { getApplicationRoute } from "../../../../src/mortgage/applications";

export const onRequest = pagesFunction(getApplicationRoute);
