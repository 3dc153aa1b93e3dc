import { pagesFunction } from "../../../../src/http/app";
import { statsTelbank } from "../../../../src/telbank/stats";

export const onRequestGet = pagesFunction(statsTelbank);
