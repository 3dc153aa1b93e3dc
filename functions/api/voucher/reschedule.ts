import { pagesFunction } from "../../../src/http/app";
import { reschedule } from "../../../src/vouchers/routes";

export const onRequestPost = pagesFunction(reschedule);
