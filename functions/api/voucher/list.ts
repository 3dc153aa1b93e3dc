import { pagesFunction } from "../../../src/http/app";
import { list } from "../../../src/vouchers/routes";

export const onRequest = pagesFunction(list);
