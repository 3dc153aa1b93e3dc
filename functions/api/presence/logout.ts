import { pagesFunction } from "../../../src/http/app";
import { logout } from "../../../src/presence/login";

export const onRequestPost = pagesFunction(logout);
