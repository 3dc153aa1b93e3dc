import { pagesFunction } from "../../../../src/http/app";
import { statsVouchers } from "../../../../src/monitoring/routes";

export const onRequestGet = pagesFunction(statsVouchers);
