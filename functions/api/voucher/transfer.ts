import { pagesFunction } from "../../../src/http/app";
import { transfer } from "../../../src/vouchers/routes";

export const onRequestPost = pagesFunction(transfer);
