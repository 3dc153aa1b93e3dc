import { pagesFunction } from "../../../src/http/app";
import { deviceLogin } from "../../../src/presence/device";

export const onRequestPost = pagesFunction(deviceLogin);
