import { pagesFunction } from "../../../src/http/app";
import { createTransfer, listTransfers } from "../../../src/telbank/routes";

export const onRequestGet = pagesFunction(listTransfers);
export const onRequestPost = pagesFunction(createTransfer);
