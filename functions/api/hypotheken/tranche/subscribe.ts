import { pagesFunction } from "../../../../src/http/app";
import { trancheSubscribe } from "../../../../src/mortgage/tranches";

export const onRequest = pagesFunction(trancheSubscribe);
