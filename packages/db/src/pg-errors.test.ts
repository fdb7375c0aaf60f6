import pg from "pg";
import { describe, expect, it } from "vitest";
import { isDataRejectedDbError, isRetriableDbError } from "./pg-errors.ts";

/** A server error as node-postgres raises it (a DatabaseError carrying the SQLSTATE). */
const serverError = (code: string, message = `error ${code}`) => Object.assign(new pg.DatabaseError(message, 0, "error"), { code });
const syscallError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, syscall: "connect" });

const transient: [string, unknown][] = [
  ["57014 statement timeout / query canceled", serverError("57014", "canceling statement due to statement timeout")],
  ["a plain Error with code 57014", Object.assign(new Error("canceling statement due to statement timeout"), { code: "57014" })],
  ["55P03 lock not available", serverError("55P03")],
  ["40001 serialization failure", serverError("40001")],
  ["40P01 deadlock", serverError("40P01")],
  ["57P01 admin shutdown", serverError("57P01", "terminating connection due to administrator command")],
  ["57P02 crash shutdown", serverError("57P02")],
  ["57P03 cannot connect now (starting up)", serverError("57P03", "the database system is starting up")],
  ["08006 connection failure", serverError("08006")],
  ["08003 connection does not exist", serverError("08003")],
  ["53300 too many connections", serverError("53300")],
  ["53100 disk full", serverError("53100")],
  ["25P03 idle-in-transaction timeout", serverError("25P03")],
  ["ECONNREFUSED", syscallError("ECONNREFUSED")],
  ["ECONNRESET", syscallError("ECONNRESET")],
  ["EPIPE", syscallError("EPIPE")],
  ["ETIMEDOUT", syscallError("ETIMEDOUT")],
  ["pg's codeless 'Connection terminated unexpectedly'", new Error("Connection terminated unexpectedly")],
  ["pg's codeless 'Connection terminated due to connection timeout'", new Error("Connection terminated due to connection timeout")],
  ["pg-pool's codeless connect timeout", new Error("timeout exceeded when trying to connect")],
  ["an AggregateError of refused addresses", new AggregateError([syscallError("ECONNREFUSED"), syscallError("ECONNREFUSED")], "")],
  ["a timeout wrapped in a cause", new Error("apply failed", { cause: serverError("57014") })],
];

const notTransient: [string, unknown][] = [
  ["23505 unique violation", serverError("23505")],
  ["23514 check violation", serverError("23514")],
  ["23503 foreign key violation", serverError("23503")],
  ["22003 numeric value out of range", serverError("22003")],
  ["22P02 invalid text representation", serverError("22P02")],
  ["42P01 undefined table", serverError("42P01")],
  ["a TypeError", new TypeError("cannot read properties of undefined")],
  ["a message that merely mentions a connection", new Error("order 1: Connection terminated unexpectedly in the payload")],
  ["null", null],
  ["a string", "57014"],
];

describe("isRetriableDbError", () => {
  it.each(transient)("retries %s", (_, error) => {
    expect(isRetriableDbError(error)).toBe(true);
  });
  it.each(notTransient)("does not retry %s", (_, error) => {
    expect(isRetriableDbError(error)).toBe(false);
  });
});

describe("isDataRejectedDbError", () => {
  it.each([
    ["23505", true],
    ["23514", true],
    ["22003", true],
    ["57014", false],
    ["40001", false],
    ["42P01", false],
  ])("classifies SQLSTATE %s as the data's fault: %s", (code, expected) => {
    expect(isDataRejectedDbError(serverError(code))).toBe(expected);
  });
  it("never blames the data for a codeless connection error", () => {
    expect(isDataRejectedDbError(new Error("Connection terminated unexpectedly"))).toBe(false);
  });
});
