import { pagesFunction } from "../../../../src/http/app";
import { getPropertyRoute } from "../../../../src/mortgage/properties";

export const onRequestGet = pagesFunction(getPropertyRoute);
