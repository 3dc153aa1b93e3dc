import { pagesFunction } from "../../../../src/http/app";
import { getApplicationRoute } from "../../../../src/mortgage/applications";

export const onRequestGet = pagesFunction(getApplicationRoute);
