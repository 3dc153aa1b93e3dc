import { pagesFunction } from "../../src/http/app";
import { health } from "../../src/monitoring/routes";

export const onRequestGet = pagesFunction(health);
