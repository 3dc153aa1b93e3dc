import { pagesFunction } from "../../../src/http/app";
import { legacyCreate } from "../../../src/mortgage/offers";

export const onRequest = pagesFunction(legacyCreate);
