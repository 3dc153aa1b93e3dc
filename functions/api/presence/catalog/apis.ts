import { pagesFunction } from "../../../../src/http/app";
import { catalog } from "../../../../src/manifest/routes";

export const onRequestGet = pagesFunction(catalog);
