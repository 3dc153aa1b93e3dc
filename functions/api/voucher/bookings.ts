import { pagesFunction } from "../../../src/http/app";
import { bookings } from "../../../src/vouchers/routes";

export const onRequest = pagesFunction(bookings);
