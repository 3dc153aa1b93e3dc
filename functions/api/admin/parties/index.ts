import { pagesFunction } from "../../../../src/http/app";
import { listPartiesRoute } from "../../../../src/mortgage/parties";

export const onRequestGet = pagesFunction(listPartiesRoute);
