import { pagesFunction } from "../../../../src/http/app";
import { run } from "../../../../src/settlements/routes";

export const onRequestPost = pagesFunction(run);
