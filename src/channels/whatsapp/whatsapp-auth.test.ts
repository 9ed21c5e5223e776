import { homedir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { authDirOf, phoneOf } from "./whatsapp-auth.ts";

describe("authDirOf", () => {
  it("defaults to the account's folder under the state dir", () => {
    expect(authDirOf({ stateDir: "/var/pincer", account: "work" })).toBe("/var/pincer/channels/whatsapp/work");
  });

  it("takes auth_dir as absolute, relative to the state dir, or under ~", () => {
    expect(authDirOf({ authDir: "/secrets/wa", stateDir: "/var/pincer", account: "a" })).toBe("/secrets/wa");
    expect(authDirOf({ authDir: "wa-creds", stateDir: "/var/pincer", account: "a" })).toBe("/var/pincer/wa-creds");
    expect(authDirOf({ authDir: "~/wa", stateDir: "/var/pincer", account: "a" })).toBe(join(homedir(), "wa"));
  });
});

describe("phoneOf", () => {
  it("gives +digits without the device part", () => {
    expect(phoneOf("491701234567:12@s.whatsapp.net")).toBe("+491701234567");
    expect(phoneOf("491701234567@s.whatsapp.net")).toBe("+491701234567");
  });
});
