import { pagesFunction } from "../../../../src/http/app";
import { statsTelbank } from "../../../../src/telbank/routes";

export const onRequestGet = pagesFunction(statsTelbank);
