import { pagesFunction } from "../../../../src/http/app";
import { link } from "../../../../src/legal/routes";

export const onRequestPost = pagesFunction(link);
