import { pagesFunction } from "../../../src/http/app";
import { createPropertyRoute } from "../../../src/mortgage/properties";

export const onRequestPost = pagesFunction(createPropertyRoute);
