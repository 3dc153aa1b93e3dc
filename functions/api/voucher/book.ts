import { pagesFunction } from "../../../src/http/app";
import { book } from "../../../src/vouchers/routes";

export const onRequestPost = pagesFunction(book);
