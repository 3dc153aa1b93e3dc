import { pagesFunction } from "../../src/http/app";
import { docsPage } from "../../src/docs/openapi";

export const onRequestGet = pagesFunction(docsPage);
