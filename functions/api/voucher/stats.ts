import { pagesFunction } from "../../../src/http/app";
import { voucherStats } from "../../../src/vouchers/stats";

export const onRequestGet = pagesFunction(voucherStats);
