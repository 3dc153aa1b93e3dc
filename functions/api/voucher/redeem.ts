import { pagesFunction } from "../../../src/http/app";
import { redeem } from "../../../src/vouchers/routes";

export const onRequestPost = pagesFunction(redeem);
