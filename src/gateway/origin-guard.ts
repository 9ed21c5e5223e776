// Which Host and Origin headers the gateway accepts: DNS-rebinding protection while bound to loopback (the Host must
// name the machine itself, or be listed in gateway.allowed_hosts) and the same-origin rule for /ws upgrades
// (the gateway's own origins plus gateway.allowed_origins). Pure decisions; callers render the refusal.
import type { PincerConfig } from "../core/config-schema.ts";

type GatewayConfig = PincerConfig["gateway"];

export interface OriginGuardOptions {
  /** The live gateway config: allowed_hosts and allowed_origins apply on reload. */
  gateway: () => GatewayConfig;
  /** The gateway listens on a loopback address: only then is the Host header checked. */
  loopback: boolean;
  /** The port the gateway listens on, once known (`--port 0` picks one at start). */
  port: () => number | undefined;
}

export type GuardDecision = { ok: true } | { ok: false; message: string };

export interface OriginGuard {
  /** Whether a request with this Host header is served. Contract: never throws; no Host (HTTP/1.0) is allowed. */
  checkHost(host: string | undefined): GuardDecision;
  /** Whether a /ws upgrade from this Origin is accepted. Contract: never throws; no Origin (a CLI, a script) is allowed. */
  checkOrigin(origin: string | undefined, host: string | undefined): GuardDecision;
}

/** Names of the machine itself that no DNS answer can take over. */
const LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]"];

export function createOriginGuard(opts: OriginGuardOptions): OriginGuard {
  return {
    checkHost(host) {
      if (!opts.loopback || host === undefined) return { ok: true };
      const url = URL.parse(`http://${host}`);
      const gateway = opts.gateway();
      if (url && (url.pathname !== "/" || url.username !== "" || url.search !== "" || url.hash !== "")) return refuseHost(host);
      if (url && LOOPBACK_NAMES.includes(url.hostname)) return { ok: true };
      if (url && gateway.bind === "custom" && gateway.host && url.hostname === bracketed(gateway.host.toLowerCase())) return { ok: true };
      if (url && gateway.allowed_hosts.some((entry) => hostMatches(entry, url))) return { ok: true };
      return refuseHost(host);
    },
    checkOrigin(origin, host) {
      if (origin === undefined) return { ok: true };
      const url = URL.parse(origin);
      const gateway = opts.gateway();
      if (url && (url.protocol === "http:" || url.protocol === "https:")) {
        if (ownOrigins(gateway, opts.port()).includes(url.origin)) return { ok: true };
        if (gateway.allowed_origins.some((allowed) => URL.parse(allowed)?.origin === url.origin)) return { ok: true };
        // A page served from the very IP address and port this request came to: an IP literal cannot be rebound.
        if (url.protocol === "http:" && host !== undefined && url.host === host.toLowerCase() && isIpLiteral(url.hostname)) return { ok: true };
      }
      return {
        ok: false,
        message: `Origin ${JSON.stringify(origin)} may not open the WebSocket: only the gateway's own pages may. Fix: if you serve a page that talks to this gateway from ${JSON.stringify(origin)}, add it to gateway.allowed_origins`,
      };
    },
  };
}

function refuseHost(host: string): GuardDecision {
  return {
    ok: false,
    message: `Host ${JSON.stringify(host)} is not a name of this gateway (it listens on loopback only; other names are refused against DNS rebinding). Fix: if a reverse proxy or a local name points here, add the name to gateway.allowed_hosts`,
  };
}

/** The origins of the gateway's own pages: its loopback names (or custom host) with its port. */
function ownOrigins(gateway: GatewayConfig, port: number | undefined): string[] {
  if (port === undefined) return [];
  const names = gateway.bind === "custom" && gateway.host ? [...LOOPBACK_NAMES, bracketed(gateway.host)] : LOOPBACK_NAMES;
  return names.flatMap((name) => URL.parse(`http://${name}:${port}`)?.origin ?? []);
}

/** An allowed_hosts entry (`name` or `name:port`) against a parsed Host header. */
function hostMatches(entry: string, url: URL): boolean {
  const allowed = URL.parse(`http://${entry}`);
  return allowed !== null && allowed.hostname === url.hostname && (allowed.port === "" || allowed.port === url.port);
}

function bracketed(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

function isIpLiteral(hostname: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname) || hostname.startsWith("[");
}
