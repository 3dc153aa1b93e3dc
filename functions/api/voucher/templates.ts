import { pagesFunction } from "../../../src/http/app";
import { templates } from "../../../src/vouchers/routes";

export const onRequestGet = pagesFunction(templates);
