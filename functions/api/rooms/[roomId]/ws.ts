import { pagesFunction } from "../../../../src/http/app";
import { ws } from "../../../../src/rooms/routes";

export const onRequest = pagesFunction(ws);
