import { pagesFunction } from "../../../../src/http/app";
import { accept } from "../../../../src/mortgage/offers";

export const onRequest = pagesFunction(accept);
