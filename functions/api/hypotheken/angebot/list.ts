import { pagesFunction } from "../../../../src/http/app";
import { list } from "../../../../src/mortgage/offers";

export const onRequestGet = pagesFunction(list);
