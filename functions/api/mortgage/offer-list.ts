import { pagesFunction } from "../../../src/http/app";
import { legacyList } from "../../../src/mortgage/offers";

export const onRequestGet = pagesFunction(legacyList);
