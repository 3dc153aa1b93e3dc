import { pagesFunction } from "../../../../src/http/app";
import { transfer } from "../../../../src/telbank/routes";

export const onRequestGet = pagesFunction(transfer);
