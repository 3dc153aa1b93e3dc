import { pagesFunction } from "../../../../src/http/app";
import { revokeDeviceKey } from "../../../../src/presence/device";

export const onRequestDelete = pagesFunction(revokeDeviceKey);
