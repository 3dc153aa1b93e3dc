import { pagesFunction } from "../../../../src/http/app";
import { statsFees } from "../../../../src/monitoring/routes";

export const onRequestGet = pagesFunction(statsFees);
