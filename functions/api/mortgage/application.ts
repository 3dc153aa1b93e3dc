import { pagesFunction } from "../../../src/http/app";
import { createApplicationAlias } from "../../../src/mortgage/applications";

export const onRequestPost = pagesFunction(createApplicationAlias);
