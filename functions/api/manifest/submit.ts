import { pagesFunction } from "../../../src/http/app";
import { submit } from "../../../src/manifest/routes";

export const onRequestPost = pagesFunction(submit);
