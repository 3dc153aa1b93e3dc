import { pagesFunction } from "../../../src/http/app";
import { get } from "../../../src/rooms/routes";

export const onRequest = pagesFunction(get);
