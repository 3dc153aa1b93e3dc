import { pagesFunction } from "../../../../../../src/http/app";
import { adminTransferStatus } from "../../../../../../src/telbank/routes";

export const onRequestPost = pagesFunction(adminTransferStatus);
