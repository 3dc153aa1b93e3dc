import { pagesFunction } from "../src/http/app";
import { legacy } from "../src/rooms/routes";

export const onRequestGet = pagesFunction(legacy);
