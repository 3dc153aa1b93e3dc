import { pagesFunction } from "../../../../src/http/app";
import { get } from "../../../../src/settlements/routes";

export const onRequestGet = pagesFunction(get);
