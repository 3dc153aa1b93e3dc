import { pagesFunction } from "../../../src/http/app";
import { registerDeviceKey } from "../../../src/presence/device";

export const onRequestPost = pagesFunction(registerDeviceKey);
