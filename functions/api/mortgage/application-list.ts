import { pagesFunction } from "../../../src/http/app";
import { listApplicationsAlias } from "../../../src/mortgage/applications";

export const onRequestGet = pagesFunction(listApplicationsAlias);
