import { pagesFunction } from "../../../../src/http/app";
import { exportCsv } from "../../../../src/settlements/routes";

export const onRequest = pagesFunction(exportCsv);
