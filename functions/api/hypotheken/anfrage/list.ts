import { pagesFunction } from "../../../../src/http/app";
import { listApplicationsRoute } from "../../../../src/mortgage/applications";

export const onRequestGet = pagesFunction(listApplicationsRoute);
