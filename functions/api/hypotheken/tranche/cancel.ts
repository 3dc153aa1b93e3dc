import { pagesFunction } from "../../../../src/http/app";
import { trancheCancel } from "../../../../src/mortgage/tranches";

export const onRequestPost = pagesFunction(trancheCancel);
