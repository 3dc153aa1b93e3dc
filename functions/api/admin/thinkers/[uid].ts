import { pagesFunction } from "../../../../src/http/app";
import { erase } from "../../../../src/privacy/routes";

export const onRequest = pagesFunction(erase);
