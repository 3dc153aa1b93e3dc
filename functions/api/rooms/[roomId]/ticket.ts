import { pagesFunction } from "../../../../src/http/app";
import { ticket } from "../../../../src/rooms/routes";

export const onRequest = pagesFunction(ticket);
