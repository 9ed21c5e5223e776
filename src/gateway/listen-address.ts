// Where the gateway listens: bind mode → host, port from --port / PORT / gateway.port, and the safety rule
// that a non-loopback bind needs a real token. Pure.
import type { PincerConfig } from "../core/config-schema.ts";
import { ConfigError } from "../core/errors.ts";

export interface ListenAddress {
  host: string;
  port: number;
  loopback: boolean;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** `portOverride` is --port; PORT from the environment is already folded into config by the loader. */
export function resolveListenAddress(gateway: PincerConfig["gateway"], opts: { portOverride?: number; file?: string }): ListenAddress {
  const port = opts.portOverride ?? gateway.port;
  if (gateway.bind === "loopback") return { host: "127.0.0.1", port, loopback: true };
  if (gateway.bind === "lan") return { host: "0.0.0.0", port, loopback: false };
  if (!gateway.host) {
    throw new ConfigError({ file: opts.file, keyPath: "gateway.host", problem: "gateway.bind is custom but no host is set", fix: "set gateway.host to the address to listen on, or use bind: loopback | lan" });
  }
  return { host: gateway.host, port, loopback: LOOPBACK.test(gateway.host) };
}

/** Refuses a reachable-from-the-network bind unless a token was deliberately set up. */
export function checkBindSafety(address: ListenAddress, tokenConfigured: boolean, file?: string): void {
  if (address.loopback || tokenConfigured) return;
  throw new ConfigError({
    file,
    keyPath: "gateway.bind",
    problem: `refusing to listen on ${address.host}:${address.port} (reachable from the network) without a gateway token`,
    fix: "run 'pincer gateway token --rotate' or set PINCER_GATEWAY_TOKEN, or use bind: loopback",
  });
}
