/** `npm run openapi:types`: rewrites the generated API types from the current route declarations. */
import { writeFileSync } from "node:fs";
import { API_TYPES_FILE, apiTypesSource } from "../support/openapi-types";

writeFileSync(API_TYPES_FILE, await apiTypesSource());
console.log(`wrote ${API_TYPES_FILE}`);
