// SSRF guard for web_fetch: refuses URLs whose host is, or resolves to, a loopback, private, link-local,
// CGNAT, metadata or otherwise internal address, and returns the vetted addresses to connect to. Does not
// fetch; web-fetch-tool.ts calls it on every hop and connects only to what it returned.
import { BlockList, isIP } from "node:net";
import { ToolError } from "../../core/errors.ts";

export type LookupAddress = { address: string; family: number };
/** Resolves a hostname to all its addresses (dns.lookup with `all: true`). */
export type LookupFn = (hostname: string) => Promise<LookupAddress[]>;

/** The system resolver; node:dns is taken on the first look-up, not at start-up. */
export const defaultLookup: LookupFn = (hostname) => process.getBuiltinModule("node:dns/promises").lookup(hostname, { all: true, verbatim: true });

/**
 * [label, network, prefix, family], checked in order. IPv4-mapped IPv6 (::ffff:a.b.c.d) is matched against the
 * IPv4 rows by BlockList; every other IPv6 form that embeds an IPv4 address is blocked as a whole range.
 */
const RANGES: Array<[string, string, number, "ipv4" | "ipv6"]> = [
  ["unspecified", "0.0.0.0", 8, "ipv4"],
  ["private", "10.0.0.0", 8, "ipv4"],
  ["CGNAT", "100.64.0.0", 10, "ipv4"], // also Alibaba metadata 100.100.100.200
  ["loopback", "127.0.0.0", 8, "ipv4"],
  ["link-local/metadata", "169.254.0.0", 16, "ipv4"], // 169.254.169.254: AWS, GCP, Azure metadata
  ["private", "172.16.0.0", 12, "ipv4"],
  ["special-purpose", "192.0.0.0", 24, "ipv4"],
  ["documentation", "192.0.2.0", 24, "ipv4"],
  ["6to4-relay", "192.88.99.0", 24, "ipv4"],
  ["private", "192.168.0.0", 16, "ipv4"],
  ["benchmarking", "198.18.0.0", 15, "ipv4"],
  ["documentation", "198.51.100.0", 24, "ipv4"],
  ["documentation", "203.0.113.0", 24, "ipv4"],
  ["multicast", "224.0.0.0", 4, "ipv4"],
  ["reserved", "240.0.0.0", 4, "ipv4"], // includes 255.255.255.255
  ["unspecified", "::", 128, "ipv6"],
  ["loopback", "::1", 128, "ipv6"],
  ["IPv4-compatible", "::", 96, "ipv6"], // ::a.b.c.d, e.g. ::127.0.0.1 = ::7f00:1
  ["IPv4-translated", "::ffff:0:0:0", 96, "ipv6"], // ::ffff:0:a.b.c.d (SIIT)
  ["IPv4-translation", "64:ff9b::", 96, "ipv6"], // NAT64 could reach an internal IPv4 address
  ["IPv4-translation", "64:ff9b:1::", 48, "ipv6"],
  ["discard-only", "100::", 64, "ipv6"],
  ["IPv4-translation", "2001::", 32, "ipv6"], // Teredo: the client's IPv4 address is embedded, obfuscated
  ["documentation", "2001:db8::", 32, "ipv6"],
  ["IPv4-translation", "2002::", 16, "ipv6"], // 6to4
  ["unique-local", "fc00::", 7, "ipv6"], // includes AWS metadata fd00:ec2::254
  ["link-local", "fe80::", 10, "ipv6"],
  ["site-local", "fec0::", 10, "ipv6"],
  ["multicast", "ff00::", 8, "ipv6"],
];

/** One BlockList per label, built once; never mutated after this. */
const BLOCKS: Array<[string, BlockList]> = RANGES.map(([label, net, prefix, family]) => {
  const list = new BlockList();
  list.addSubnet(net, prefix, family);
  return [label, list];
});

/** Hostnames that name cloud metadata services directly. */
const METADATA_HOSTS = new Set(["metadata.google.internal", "metadata", "instance-data", "metadata.azure.internal"]);

/** The kind of internal address `ip` is ("loopback", "private", …), or undefined for a public address. */
export function classifyAddress(ip: string): string | undefined {
  const family = isIP(ip);
  if (family === 0) return "not an IP address";
  const type = family === 4 ? "ipv4" : "ipv6";
  for (const [label, list] of BLOCKS) if (list.check(ip, type)) return label;
  return undefined;
}

/** scheme://host[:port] — never userinfo, path or query, which may carry secrets. */
export function describeOrigin(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

/**
 * Resolves `url`'s host once and returns its addresses, the only ones the caller may connect to.
 * Throws ToolError `invalid_args` for other schemes than http(s), `blocked_address` when any address is
 * internal (unless `allowPrivate`), `fetch_failed` when the name does not resolve.
 * Contract: the returned list is non-empty and every address in it passed the check.
 */
export async function vetTarget(url: URL, opts: { allowPrivate: boolean; lookup: LookupFn }): Promise<LookupAddress[]> {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ToolError("invalid_args", `web_fetch: only http and https URLs can be fetched, got ${url.protocol}`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const refuse = (what: string): ToolError =>
    new ToolError("blocked_address", `web_fetch refused ${describeOrigin(url)}: ${what}; internal addresses are blocked (policy.web.allow_private is false)`);
  if (!opts.allowPrivate && METADATA_HOSTS.has(host.replace(/\.$/, ""))) throw refuse(`${host} is a cloud metadata host`);

  let addresses: LookupAddress[];
  const family = isIP(host);
  if (family) addresses = [{ address: host, family }];
  else {
    try {
      addresses = await opts.lookup(host);
    } catch (err) {
      throw new ToolError("fetch_failed", `web_fetch: cannot resolve ${host}`, { cause: err });
    }
    if (addresses.length === 0) throw new ToolError("fetch_failed", `web_fetch: cannot resolve ${host}`);
  }
  if (opts.allowPrivate) return addresses;
  for (const { address } of addresses) {
    const label = classifyAddress(address);
    if (label) throw refuse(address === host ? `${host} is a ${label} address` : `${host} resolves to ${address} (${label})`);
  }
  return addresses;
}
