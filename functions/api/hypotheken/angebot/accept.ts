import { pagesFunction } from "../../../../src/http/app";
import { accept } from "../../../../src/mortgage/offers";

export const onRequestPost = pagesFunction(accept);
