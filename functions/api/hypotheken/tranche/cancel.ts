import { pagesFunction } from "../../../../src/http/app";
import { trancheCancel } from "../../../../src/mortgage/tranches";

export const onRequest = pagesFunction(trancheCancel);
