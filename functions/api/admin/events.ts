import { pagesFunction } from "../../../src/http/app";
import { events } from "../../../src/monitoring/routes";

export const onRequestGet = pagesFunction(events);
