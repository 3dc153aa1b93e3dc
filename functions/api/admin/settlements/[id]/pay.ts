import { pagesFunction } from "../../../../../src/http/app";
import { pay } from "../../../../../src/settlements/routes";

export const onRequestPost = pagesFunction(pay);
