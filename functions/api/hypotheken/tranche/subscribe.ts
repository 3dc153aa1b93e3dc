import { pagesFunction } from "../../../../src/http/app";
import { trancheSubscribe } from "../../../../src/mortgage/tranches";

export const onRequestPost = pagesFunction(trancheSubscribe);
