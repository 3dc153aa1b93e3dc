import { pagesFunction } from "../../../../src/http/app";
import { statsPresence } from "../../../../src/monitoring/routes";

export const onRequestGet = pagesFunction(statsPresence);
