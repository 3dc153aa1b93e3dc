import { pagesFunction } from "../../../src/http/app";
import { exportRoute } from "../../../src/privacy/export";

export const onRequestGet = pagesFunction(exportRoute);
