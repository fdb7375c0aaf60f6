import { describe, expect, it } from "vitest";
import { renderServerProperties } from "../src/server-config.ts";

const parse = (text: string) =>
  Object.fromEntries(
    text
      .trim()
      .split("\n")
      .map((line) => line.split(/=(.*)/s).slice(0, 2)),
  );
const base = { host: "127.0.0.1", brokerPort: 20001, controllerPort: 20002, dataDir: "/tmp/d", partitions: 6 };

describe("server.properties", () => {
  it("gives a single node replication factor 1 everywhere", () => {
    const p = parse(renderServerProperties(base));
    expect(p).toMatchObject({
      "node.id": "1",
      "controller.quorum.voters": "1@127.0.0.1:20002",
      "default.replication.factor": "1",
      "min.insync.replicas": "1",
      "offsets.topic.replication.factor": "1",
    });
  });

  it("gives a cluster member its id, the whole quorum and RF 3 / min ISR 2 for every topic, internal ones included", () => {
    const voters = "1@127.0.0.1:20002,2@127.0.0.1:20004,3@127.0.0.1:20006";
    const p = parse(renderServerProperties({ ...base, cluster: { nodeId: 2, voters, replicationFactor: 3, minInsyncReplicas: 2 } }));
    expect(p).toMatchObject({
      "process.roles": "broker,controller",
      "node.id": "2",
      "controller.quorum.voters": voters,
      "default.replication.factor": "3",
      "min.insync.replicas": "2",
      "offsets.topic.replication.factor": "3",
      "transaction.state.log.replication.factor": "3",
      "transaction.state.log.min.isr": "2",
      "share.coordinator.state.topic.replication.factor": "3",
      "share.coordinator.state.topic.min.isr": "2",
    });
  });
});
