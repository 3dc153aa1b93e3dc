import { pagesFunction } from "../../../src/http/app";
import { match } from "../../../src/presence/routes";

export const onRequestPost = pagesFunction(match);
