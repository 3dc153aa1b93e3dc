import { pagesFunction } from "../../../src/http/app";
import { reschedule } from "../../../src/vouchers/routes";

export const onRequest = pagesFunction(reschedule);
