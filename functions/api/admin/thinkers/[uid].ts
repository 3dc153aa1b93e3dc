import { pagesFunction } from "../../../../src/http/app";
import { erase } from "../../../../src/privacy/routes";

export const onRequestDelete = pagesFunction(erase);
