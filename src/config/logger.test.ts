// Tests that the root logger writes JSON lines to the given stream with secrets masked.
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, setLogLevel } from "./logger.ts";

function capture(): { stream: PassThrough; lines: () => Record<string, unknown>[]; text: () => string } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk.toString("utf8")));
  const text = () => chunks.join("");
  return { stream, text, lines: () => text().trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>) };
}

const SECRETS = ["sk-ant-api03-SECRETSECRETSECRET", "xoxb-1111111111-SECRETSECRETSECRET", "hunter22", "p4ssw0rd-db", "SECRETTOKENVALUE99"];

describe("createLogger", () => {
  it("writes JSON lines without secrets in messages, fields, nested fields or errors", () => {
    const out = capture();
    const log = createLogger({ level: "debug", destination: out.stream }).child({ component: "test" });
    log.info({ provider: { api_key: "anything-at-all", name: "work" } }, "calling with sk-ant-api03-SECRETSECRETSECRET");
    log.warn({ password: "hunter22", headers: { authorization: "Bearer SECRETTOKENVALUE99" } }, "slack xoxb-1111111111-SECRETSECRETSECRET failed");
    log.error({ err: new Error("connect postgres://pincer:p4ssw0rd-db@db/x failed") }, "store down");
    log.debug("bot token 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw rejected");
    const lines = out.lines();
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatchObject({ level: 30, component: "test", provider: { api_key: "***", name: "work" } });
    expect(lines[1]).toMatchObject({ password: "***", headers: { authorization: "***" } });
    for (const secret of [...SECRETS, "anything-at-all", "AAHdqTcvCH1vGWJx"]) expect(out.text()).not.toContain(secret);
  });

  it("respects the level", () => {
    const out = capture();
    const log = createLogger({ level: "warn", destination: out.stream });
    log.info("hidden");
    log.warn("shown");
    expect(out.lines().map((line) => line["msg"])).toEqual(["shown"]);
  });

  it("prints readable lines when pretty", () => {
    const out = capture();
    createLogger({ level: "info", destination: out.stream, pretty: true }).child({ component: "gateway" }).info({ port: 18790 }, "listening with sk-abcdefghijklmnopqrstuvwxyz");
    expect(out.text()).toMatch(/^\d\d:\d\d:\d\d INFO  \[gateway\] listening with sk-\*\*\* port=18790\n$/);
  });

  it("setLogLevel changes the level of the root and of children handed out before the change", () => {
    const out = capture();
    const root = createLogger({ level: "info", destination: out.stream });
    const child = root.child({ component: "a" });
    const grandchild = child.child({ sub: "b" });
    grandchild.debug("hidden");
    setLogLevel(root, "debug");
    grandchild.debug("shown");
    root.child({ component: "later" }).debug("also shown");
    setLogLevel(root, "error");
    child.warn("hidden again");
    expect(out.lines().map((l) => l.msg)).toEqual(["shown", "also shown"]);
  });
});
