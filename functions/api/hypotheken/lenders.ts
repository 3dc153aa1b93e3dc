import { pagesFunction } from "../../../src/http/app";
import { lendersRoute } from "../../../src/mortgage/parties";

export const onRequestGet = pagesFunction(lendersRoute);
