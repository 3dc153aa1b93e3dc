import { pagesFunction } from "../../../../src/http/app";
import { contractList } from "../../../../src/mortgage/contracts";

export const onRequestGet = pagesFunction(contractList);
