import { pagesFunction } from "../../../src/http/app";
import { dashboard } from "../../../src/monitoring/routes";

export const onRequestGet = pagesFunction(dashboard);
