import { pagesFunction } from "../../../src/http/app";
import { slotsAvailable } from "../../../src/vouchers/routes";

export const onRequestGet = pagesFunction(slotsAvailable);
