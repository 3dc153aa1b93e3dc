import { pagesFunction } from "../../../src/http/app";
import { list } from "../../../src/manifest/routes";

export const onRequestGet = pagesFunction(list);
