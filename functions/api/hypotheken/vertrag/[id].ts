import { pagesFunction } from "../../../../src/http/app";
import { contractGet } from "../../../../src/mortgage/contracts";

export const onRequestGet = pagesFunction(contractGet);
