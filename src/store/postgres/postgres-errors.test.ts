// Connection failures → ConfigError: the server named without its password, a fix per failure kind.
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../core/errors.ts";
import { describePostgresUrl, toConnectError, toSchemaError } from "./postgres-errors.ts";

const URL = "postgres://pincer:hunter2-pw@db.internal:6543/pincer?sslmode=require";
const connectError = (err: unknown) => toConnectError(err, { url: URL, connectionTimeoutMs: 10_000 });
const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe("describePostgresUrl", () => {
  it("names user, host, port and database, never the password", () => {
    expect(describePostgresUrl(URL)).toBe("pincer@db.internal:6543/pincer");
    expect(describePostgresUrl("postgresql://db/app")).toBe("db:5432/app");
    expect(describePostgresUrl("postgres:///app?host=/var/run/postgresql")).toBe("/var/run/postgresql:5432/app");
    // Not a WHATWG URL (credentials without a host): shown as given, password masked.
    expect(describePostgresUrl("postgres://me:pw@/app?host=/sock")).toBe("postgres://me:***@/app?host=/sock");
  });
});

describe("toConnectError", () => {
  it("maps SQLSTATE and Node codes to a fix", () => {
    const auth = connectError(withCode(`password authentication failed for user "pincer"`, "28P01"));
    expect(auth).toBeInstanceOf(ConfigError);
    expect(auth.message).toBe(
      "store.url: cannot connect to PostgreSQL at pincer@db.internal:6543/pincer: password authentication failed. " +
      "Fix: correct the user or password in store.url (or the secret it references)",
    );
    expect(connectError(withCode("x", "3D000")).problem).toContain("the database does not exist");
    expect(connectError(withCode("getaddrinfo ENOTFOUND db.internal", "ENOTFOUND")).problem).toContain("does not resolve");
  });

  it("reads a dual-stack refusal (an AggregateError without a message)", () => {
    const refused = Object.assign(new AggregateError([withCode("connect ECONNREFUSED ::1:5432", "ECONNREFUSED")], ""), { code: "ECONNREFUSED" });
    expect(connectError(refused).problem).toContain("connection refused");
  });

  it("recognises timeouts and TLS trouble, and redacts whatever the driver said", () => {
    expect(connectError(new Error("timeout exceeded when trying to connect")).problem).toContain("no answer within 10000 ms");
    expect(connectError(new Error("The server does not support SSL connections")).fix).toContain("sslmode");
    const odd = connectError(new Error("weird failure for postgres://pincer:hunter2-pw@db.internal/pincer"));
    expect(odd.message).not.toContain("hunter2");
    expect(odd.cause).toBeInstanceOf(Error);
  });
});

describe("toSchemaError", () => {
  it("turns a missing CREATE privilege into the statement an administrator runs", () => {
    const err = toSchemaError(withCode("permission denied for database pincer", "42501"), { url: URL, schema: "pincer_main" });
    expect(err).toMatchObject({ keyPath: "store.schema", fix: expect.stringContaining("CREATE SCHEMA pincer_main AUTHORIZATION pincer") });
    const other = withCode("disk full", "53100");
    expect(toSchemaError(other, { url: URL, schema: "pincer_main" })).toBe(other);
  });
});
