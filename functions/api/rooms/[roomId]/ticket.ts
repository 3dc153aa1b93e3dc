import { pagesFunction } from "../../../../src/http/app";
import { ticket } from "../../../../src/rooms/routes";

export const onRequestPost = pagesFunction(ticket);
