import { pagesFunction } from "../../../src/http/app";
import { get } from "../../../src/rooms/routes";

export const onRequestGet = pagesFunction(get);
