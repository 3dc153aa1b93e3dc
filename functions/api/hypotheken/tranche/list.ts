import { pagesFunction } from "../../../../src/http/app";
import { trancheList } from "../../../../src/mortgage/tranches";

export const onRequestGet = pagesFunction(trancheList);
