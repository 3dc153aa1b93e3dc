import { pagesFunction } from "../../../../src/http/app";
import { statsMortgage } from "../../../../src/mortgage/stats";

export const onRequestGet = pagesFunction(statsMortgage);
