import { pagesFunction } from "../../../src/http/app";
import { verify } from "../../../src/presence/login";

export const onRequestPost = pagesFunction(verify);
