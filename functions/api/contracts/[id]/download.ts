import { pagesFunction } from "../../../../src/http/app";
import { download } from "../../../../src/legal/routes";

export const onRequestGet = pagesFunction(download);
