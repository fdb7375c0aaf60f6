import { fileURLToPath } from "node:url";

/** The repository root (this file is devkit/local-connect/src/paths.ts). */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** The checked-in connector registration (REST body for `PUT /connectors/{name}/config`'s parent). */
export const CONNECTOR_JSON = fileURLToPath(new URL("../../../deploy/debezium/outbox-connector.json", import.meta.url));

/** Sources of the project's own single-message transform (DropNullHeaders). */
export const SMT_SOURCES = fileURLToPath(new URL("../../../deploy/debezium/smt/src/main/", import.meta.url));
