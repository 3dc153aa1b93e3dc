import { pagesFunction } from "../../../../src/http/app";
import { feeUpdate } from "../../../../src/settlements/routes";

export const onRequestPut = pagesFunction(feeUpdate);
