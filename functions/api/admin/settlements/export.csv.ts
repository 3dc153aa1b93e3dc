import { pagesFunction } from "../../../../src/http/app";
import { exportCsv } from "../../../../src/settlements/routes";

export const onRequestGet = pagesFunction(exportCsv);
