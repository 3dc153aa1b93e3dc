import { pagesFunction } from "../../../src/http/app";
import { events } from "../../../src/monitoring/routes";

export const onRequest = pagesFunction(events);
