import { pagesFunction } from "../../src/http/app";
import { openapiJson } from "../../src/docs/openapi";

export const onRequestGet = pagesFunction(openapiJson);
