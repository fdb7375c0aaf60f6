export {
  connectArtifacts,
  connectVersion,
  DEFAULT_DEBEZIUM_VERSION,
  debeziumPostgresArtifacts,
  debeziumVersion,
  ensureConnectClasspath,
  ensureDebeziumPostgres,
} from "./artifacts.ts";
export { type ConnectWorker, type StartConnectOptions, startConnect } from "./connect-worker.ts";
export {
  type ConnectorRegistration,
  loadOutboxConnector,
  type OutboxConnectorOverrides,
  outboxConnector,
  postgresEnv,
} from "./connector-config.ts";
export { type OutboxCdc, type OutboxCdcOptions, startOutboxCdc } from "./outbox-cdc.ts";
export { CONNECTOR_JSON, REPO_ROOT } from "./paths.ts";
export { dropSlotAndPublication, lsnDiff, type SlotState, slotState, waitForActiveSlot } from "./replication-slot.ts";
export { type ConnectorStatus, ConnectRest } from "./rest.ts";
