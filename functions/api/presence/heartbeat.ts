import { pagesFunction } from "../../../src/http/app";
import { heartbeat } from "../../../src/presence/routes";

export const onRequestPost = pagesFunction(heartbeat);
