import { pagesFunction } from "../../../../src/http/app";
import { deletePartyRoute, putPartyRoute } from "../../../../src/mortgage/parties";

export const onRequestPut = pagesFunction(putPartyRoute);
export const onRequestDelete = pagesFunction(deletePartyRoute);
