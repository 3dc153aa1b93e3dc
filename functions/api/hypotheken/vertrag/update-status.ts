import { pagesFunction } from "../../../../src/http/app";
import { updateStatus } from "../../../../src/mortgage/contracts";

export const onRequestPost = pagesFunction(updateStatus);
