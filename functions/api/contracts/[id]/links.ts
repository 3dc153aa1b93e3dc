import { pagesFunction } from "../../../../src/http/app";
import { link, links } from "../../../../src/legal/routes";

export const onRequestGet = pagesFunction(links);
export const onRequestPost = pagesFunction(link);
