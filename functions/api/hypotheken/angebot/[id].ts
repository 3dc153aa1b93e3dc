import { pagesFunction } from "../../../../src/http/app";
import { get } from "../../../../src/mortgage/offers";

export const onRequestGet = pagesFunction(get);
