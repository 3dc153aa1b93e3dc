import { pagesFunction } from "../../../../../src/http/app";
import { invoice } from "../../../../../src/settlements/routes";

export const onRequestPost = pagesFunction(invoice);
