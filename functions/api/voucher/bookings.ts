import { pagesFunction } from "../../../src/http/app";
import { bookings } from "../../../src/vouchers/routes";

export const onRequestGet = pagesFunction(bookings);
