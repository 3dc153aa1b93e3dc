import { pagesFunction } from "../../../src/http/app";
import { verify } from "../../../src/identity/verify";

export const onRequest = pagesFunction(verify);
