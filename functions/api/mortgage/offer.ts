import { pagesFunction } from "../../../src/http/app";
import { legacyCreate } from "../../../src/mortgage/offers";

export const onRequestPost = pagesFunction(legacyCreate);
