import { pagesFunction } from "../../../src/http/app";
import { cancel } from "../../../src/vouchers/routes";

export const onRequestPost = pagesFunction(cancel);
