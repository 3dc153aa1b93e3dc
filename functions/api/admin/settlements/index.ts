import { pagesFunction } from "../../../../src/http/app";
import { list } from "../../../../src/settlements/routes";

export const onRequestGet = pagesFunction(list);
