import { pagesFunction } from "../../../../src/http/app";
import { listPropertiesRoute } from "../../../../src/mortgage/properties";

export const onRequestGet = pagesFunction(listPropertiesRoute);
