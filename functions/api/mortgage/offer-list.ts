import { pagesFunction } from "../../../src/http/app";
import { legacyList } from "../../../src/mortgage/offers";

export const onRequest = pagesFunction(legacyList);
