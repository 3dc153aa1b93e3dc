import { pagesFunction } from "../../../../src/http/app";
import { withdraw } from "../../../../src/mortgage/offers";

export const onRequestPost = pagesFunction(withdraw);
