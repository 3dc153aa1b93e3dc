import { pagesFunction } from "../../src/http/app";
import { telemetry } from "../../src/telemetry/routes";

export const onRequestPost = pagesFunction(telemetry);
