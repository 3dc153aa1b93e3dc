import { pagesFunction } from "../../../../../src/http/app";
import { unlink } from "../../../../../src/legal/routes";

export const onRequestDelete = pagesFunction(unlink);
