import { describe, expect, it } from "vitest";
import { gatewaySchema } from "../core/config-schema.ts";
import { createOriginGuard } from "./origin-guard.ts";

const guardFor = (gateway: Record<string, unknown>, loopback = true) =>
  createOriginGuard({ gateway: () => gatewaySchema.parse(gateway), loopback, port: () => 18790 });

describe("Host check (DNS rebinding)", () => {
  it("accepts the loopback names with or without a port, and nothing else by default", () => {
    const guard = guardFor({});
    for (const host of ["127.0.0.1", "127.0.0.1:18790", "localhost", "LOCALHOST:18790", "[::1]", "[::1]:18790", undefined]) {
      expect(guard.checkHost(host), String(host)).toEqual({ ok: true });
    }
    for (const host of ["evil.example", "evil.example:18790", "localhost.evil.example", "127.0.0.1.nip.io", "localhost:18790/x", "user@localhost", "", "%%"]) {
      expect(guard.checkHost(host).ok, host).toBe(false);
    }
  });

  it("names the key to change in the refusal", () => {
    expect(guardFor({}).checkHost("evil.example")).toEqual({
      ok: false,
      message:
        'Host "evil.example" is not a name of this gateway (it listens on loopback only; other names are refused against DNS rebinding). Fix: if a reverse proxy or a local name points here, add the name to gateway.allowed_hosts',
    });
  });

  it("accepts gateway.allowed_hosts names (any port, or the one given) and a custom loopback host", () => {
    const guard = guardFor({ allowed_hosts: ["pincer.example.com", "box.lan:8443"] });
    expect(guard.checkHost("pincer.example.com").ok).toBe(true);
    expect(guard.checkHost("Pincer.Example.com:443").ok).toBe(true);
    expect(guard.checkHost("box.lan:8443").ok).toBe(true);
    expect(guard.checkHost("box.lan:80").ok).toBe(false);
    expect(guardFor({ bind: "custom", host: "127.0.0.2" }).checkHost("127.0.0.2:18790").ok).toBe(true);
  });

  it("does not check the Host when not bound to loopback", () => {
    expect(guardFor({ bind: "lan" }, false).checkHost("evil.example").ok).toBe(true);
  });
});

describe("Origin check (/ws upgrades)", () => {
  it("accepts the gateway's own origins and clients that send none", () => {
    const guard = guardFor({});
    for (const origin of ["http://127.0.0.1:18790", "http://localhost:18790", "http://[::1]:18790", undefined]) {
      expect(guard.checkOrigin(origin, "127.0.0.1:18790"), String(origin)).toEqual({ ok: true });
    }
  });

  it("refuses other sites, other ports, other schemes and opaque origins, naming gateway.allowed_origins", () => {
    const guard = guardFor({});
    for (const origin of ["https://evil.example", "http://127.0.0.1:8080", "https://127.0.0.1:18790", "null", "file://", "chrome-extension://abc"]) {
      const decision = guard.checkOrigin(origin, "127.0.0.1:18790");
      expect(decision.ok, origin).toBe(false);
      expect(!decision.ok && decision.message).toContain("gateway.allowed_origins");
    }
  });

  it("accepts gateway.allowed_origins and, on a LAN bind, a page from the very IP address it is served on", () => {
    expect(guardFor({ allowed_origins: ["https://pincer.example.com"] }).checkOrigin("https://pincer.example.com", "pincer.example.com").ok).toBe(true);
    const lan = guardFor({ bind: "lan" }, false);
    expect(lan.checkOrigin("http://192.168.1.5:18790", "192.168.1.5:18790").ok).toBe(true);
    expect(lan.checkOrigin("http://192.168.1.66:18790", "192.168.1.5:18790").ok).toBe(false);
    expect(lan.checkOrigin("http://rebound.example:18790", "rebound.example:18790").ok).toBe(false);
  });
});

describe("gateway.allowed_hosts and gateway.allowed_origins in pincer.yaml", () => {
  it("refuse values that are not host names or origins", () => {
    expect(gatewaySchema.safeParse({ allowed_hosts: ["pincer.example.com", "box.lan:8443", "[::1]"] }).success).toBe(true);
    expect(gatewaySchema.safeParse({ allowed_hosts: ["https://pincer.example.com"] }).error?.issues[0]?.message).toBe("expected a host name, optionally with :port, e.g. pincer.example.com");
    expect(gatewaySchema.safeParse({ allowed_origins: ["https://pincer.example.com", "http://localhost:3000/"] }).success).toBe(true);
    for (const bad of ["pincer.example.com", "https://pincer.example.com/chat", "null", "ftp://x"]) {
      expect(gatewaySchema.safeParse({ allowed_origins: [bad] }).error?.issues[0]?.message, bad).toBe("expected an origin: http(s)://host[:port], without a path");
    }
  });
});
