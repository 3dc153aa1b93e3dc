import { pagesFunction } from "../../../src/http/app";
import { create } from "../../../src/mortgage/offers";

export const onRequestPost = pagesFunction(create);
