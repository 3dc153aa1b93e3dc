import { pagesFunction } from "../../../../src/http/app";
import { shareApplicationRoute } from "../../../../src/mortgage/applications";

export const onRequestPost = pagesFunction(shareApplicationRoute);
