import { pagesFunction } from "../../../../src/http/app";
import { updateStatus } from "../../../../src/mortgage/contracts";

export const onRequest = pagesFunction(updateStatus);
