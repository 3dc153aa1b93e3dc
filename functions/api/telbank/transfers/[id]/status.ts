import { pagesFunction } from "../../../../../src/http/app";
import { transferStatus } from "../../../../../src/telbank/routes";

export const onRequestPost = pagesFunction(transferStatus);
