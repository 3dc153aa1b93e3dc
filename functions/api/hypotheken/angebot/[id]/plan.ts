import { pagesFunction } from "../../../../../src/http/app";
import { plan } from "../../../../../src/mortgage/offers";

export const onRequestGet = pagesFunction(plan);
