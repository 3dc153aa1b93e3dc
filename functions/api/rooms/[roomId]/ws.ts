import { pagesFunction } from "../../../../src/http/app";
import { ws } from "../../../../src/rooms/routes";

export const onRequestGet = pagesFunction(ws);
