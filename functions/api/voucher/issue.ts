import { pagesFunction } from "../../../src/http/app";
import { issue } from "../../../src/vouchers/routes";

export const onRequestPost = pagesFunction(issue);
