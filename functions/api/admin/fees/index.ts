import { pagesFunction } from "../../../../src/http/app";
import { fees } from "../../../../src/settlements/routes";

export const onRequestGet = pagesFunction(fees);
