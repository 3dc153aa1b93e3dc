import { pagesFunction } from "../../../../src/http/app";
import { contractList } from "../../../../src/mortgage/contracts";

export const onRequest = pagesFunction(contractList);
