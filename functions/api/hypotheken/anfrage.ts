import { pagesFunction } from "../../../src/http/app";
import { createApplicationRoute } from "../../../src/mortgage/applications";

export const onRequestPost = pagesFunction(createApplicationRoute);
