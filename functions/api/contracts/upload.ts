import { pagesFunction } from "../../../src/http/app";
import { upload } from "../../../src/legal/routes";

export const onRequestPost = pagesFunction(upload);
