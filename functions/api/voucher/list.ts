import { pagesFunction } from "../../../src/http/app";
import { list } from "../../../src/vouchers/routes";

export const onRequestGet = pagesFunction(list);
