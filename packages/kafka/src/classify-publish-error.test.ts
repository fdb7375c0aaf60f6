import { MultipleErrors, NetworkError, ResponseError, TimeoutError } from "@platformatic/kafka";
import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSRequestTimeoutError } from "kafkajs";
import { describe, expect, it } from "vitest";
import { classifyPublishError } from "./producer.ts";

/** A produce response with one partition error, as @platformatic/kafka raises it (apiKey 0 = Produce). */
const produceRefused = (errorCode: number) => new ResponseError(0, 9, { "/topic_data/0/partition_data/0": [errorCode, "detail"] }, {});
/** What the relay's record sender throws: a readable top-level message, the client's error as cause. */
const wrapped = (cause: unknown) => new Error("Kafka send failed: …", { cause });
const kafkajsProtocol = (type: string, code: number, retriable: boolean) =>
  new KafkaJSProtocolError({ message: type, type, code, retriable } as never);

const record: [string, unknown][] = [
  ["MESSAGE_TOO_LARGE (10)", wrapped(produceRefused(10))],
  ["RECORD_LIST_TOO_LARGE (18)", wrapped(produceRefused(18))],
  ["INVALID_RECORD (87)", wrapped(produceRefused(87))],
  ["kafkajs MESSAGE_TOO_LARGE", kafkajsProtocol("MESSAGE_TOO_LARGE", 10, false)],
];

const transient: [string, unknown][] = [
  [
    "broker unreachable (network error)",
    wrapped(new MultipleErrors("Cannot connect to any broker.", [new NetworkError("connect ECONNREFUSED 127.0.0.1:9")])),
  ],
  ["request timeout", wrapped(new TimeoutError("Request timed out"))],
  ["NOT_LEADER_OR_FOLLOWER (6)", wrapped(produceRefused(6))],
  ["REQUEST_TIMED_OUT (7)", wrapped(produceRefused(7))],
  ["NOT_ENOUGH_REPLICAS (19)", wrapped(produceRefused(19))],
  ["CORRUPT_MESSAGE (2): a CRC mismatch on the wire, retriable per the protocol", wrapped(produceRefused(2))],
  ["INVALID_REQUIRED_ACKS (21): the producer's configuration, not the record", wrapped(produceRefused(21))],
  ["TOPIC_AUTHORIZATION_FAILED (29): an ACL, the same for every record", wrapped(produceRefused(29))],
  ["kafkajs connection error", new KafkaJSConnectionError("Connection error: connect ECONNREFUSED")],
  ["kafkajs request timeout", new KafkaJSRequestTimeoutError("Request Produce(key: 0, version: 7) timed out")],
  [
    "kafkajs retries exhausted on a leader move",
    new KafkaJSNumberOfRetriesExceeded(kafkajsProtocol("NOT_LEADER_FOR_PARTITION", 6, true), { retryCount: 5, retryTime: 1000 }),
  ],
  ["the relay's own send timeout", new Error("The operation timed out after 30000ms")],
  ["a string", "boom"],
];

describe("classifyPublishError", () => {
  it.each(record)("blames the record for %s", (_, error) => {
    expect(classifyPublishError(error)).toBe("record");
  });
  it.each(transient)("calls %s transient", (_, error) => {
    expect(classifyPublishError(error)).toBe("transient");
  });
});
