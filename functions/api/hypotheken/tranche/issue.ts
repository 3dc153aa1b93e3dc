import { pagesFunction } from "../../../../src/http/app";
import { trancheIssue } from "../../../../src/mortgage/tranches";

export const onRequestPost = pagesFunction(trancheIssue);
