import { pagesFunction } from "../../../src/http/app";
import { deviceChallenge } from "../../../src/presence/device";

export const onRequestPost = pagesFunction(deviceChallenge);
