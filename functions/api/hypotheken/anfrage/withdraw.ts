import { pagesFunction } from "../../../../src/http/app";
import { withdrawApplicationRoute } from "../../../../src/mortgage/applications";

export const onRequestPost = pagesFunction(withdrawApplicationRoute);
