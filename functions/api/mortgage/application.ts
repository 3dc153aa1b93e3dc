import { pagesFunction } from "../../../src/http/app";
import { createApplicationAlias } from "../../../src/mortgage/applications";

export const onRequest = pagesFunction(createApplicationAlias);
