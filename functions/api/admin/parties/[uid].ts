import { pagesFunction } from "../../../../src/http/app";
import { deletePartyRoute, putPartyRoute } from "../../../../src/mortgage/parties";

export const onRequest = pagesFunction(putPartyRoute, deletePartyRoute);
