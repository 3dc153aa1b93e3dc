import { pagesFunction } from "../../../src/http/app";
import { list } from "../../../src/legal/routes";

export const onRequestGet = pagesFunction(list);
