import { pagesFunction } from "../../src/http/app";
import { eraseMe, me } from "../../src/privacy/me";

export const onRequestGet = pagesFunction(me);
export const onRequestDelete = pagesFunction(eraseMe);
