// Turns a failure to reach or set up PostgreSQL into a ConfigError that names the server (never the password) and the fix.
// Branches on the driver's and the server's error codes; only connection-time failures come through here.
import { redactSecrets } from "../../config/redact.ts";
import { ConfigError } from "../../core/errors.ts";

/** `user@host:port/database` from a postgres URL, without the password; best effort for unusual URLs. */
export function describePostgresUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return redactSecrets(url);
  }
  const user = u.username ? decodeURIComponent(u.username) : undefined;
  // A Unix socket is given as ?host=/var/run/postgresql; libpq's defaults fill in the rest.
  const host = u.hostname || u.searchParams.get("host") || "localhost";
  const database = decodeURIComponent(u.pathname.slice(1)) || user || "";
  return `${user ? `${user}@` : ""}${host}:${u.port || "5432"}/${database}`;
}

/** Node and PostgreSQL error codes (SQLSTATE) that mean "could not connect", mapped to what happened and the fix. */
const CONNECT_FAILURES: Record<string, { problem: string; fix: string }> = {
  ECONNREFUSED: {
    problem: "connection refused (nothing listens on that host and port)",
    fix: "start PostgreSQL, or correct the host and port in store.url (or PINCER_STORE_URL)",
  },
  ENOTFOUND: { problem: "the host name does not resolve", fix: "correct the host in store.url (or PINCER_STORE_URL)" },
  EAI_AGAIN: { problem: "the host name could not be resolved (DNS unavailable)", fix: "check DNS, or use an IP address in store.url" },
  EHOSTUNREACH: { problem: "the host is unreachable", fix: "check the host in store.url and the network route to it" },
  ENETUNREACH: { problem: "the network is unreachable", fix: "check the host in store.url and the network route to it" },
  ECONNRESET: {
    problem: "the server closed the connection during the handshake",
    fix: "check the server log; if it requires TLS, add ?sslmode=require to store.url",
  },
  "28P01": { problem: "password authentication failed", fix: "correct the user or password in store.url (or the secret it references)" },
  "28000": {
    problem: "the server does not accept this user from this host (pg_hba.conf, or the role does not exist)",
    fix: "create the role, or allow this host and user in the server's pg_hba.conf",
  },
  "3D000": { problem: "the database does not exist", fix: "create it (createdb <name>), or correct the database name in store.url" },
  "53300": {
    problem: "the server has no free connection slots",
    fix: "lower store.pool_max (every process opens up to that many), or raise max_connections on the server",
  },
  "57P03": { problem: "the server is starting up or shutting down", fix: "wait for it to accept connections, then start again" },
};

/**
 * The error for a failed first connection: what happened at which server, and how to fix it.
 * Contract: the message never contains the URL's password; the original error is kept as `cause`.
 */
export function toConnectError(err: unknown, opts: { url: string; connectionTimeoutMs: number }): ConfigError {
  const target = describePostgresUrl(opts.url);
  const code = errorCode(err);
  const detail = redactSecrets(errorText(err));
  const known = code === undefined ? undefined : CONNECT_FAILURES[code];
  let problem = known?.problem;
  let fix = known?.fix;
  if (!known && /timeout|timed out/i.test(detail)) {
    problem = `no answer within ${opts.connectionTimeoutMs} ms`;
    fix = "check the host, port and firewall in between; an overloaded server answers slowly too";
  } else if (!known && /ssl|tls|certificate/i.test(`${code ?? ""} ${detail}`)) {
    problem = `TLS negotiation failed (${detail})`;
    fix = "make store.url's sslmode match the server: ?sslmode=require with a trusted certificate, or ?sslmode=disable on a private network";
  }
  return new ConfigError({
    problem: `cannot connect to PostgreSQL at ${target}: ${problem ?? detail}`,
    keyPath: "store.url",
    fix: fix ?? "check that PostgreSQL runs and that store.url (or PINCER_STORE_URL) names the right host, port, database and user",
    cause: err,
  });
}

/** The error for a schema the configured user may not create (SQLSTATE 42501). */
export function toSchemaError(err: unknown, opts: { url: string; schema: string }): Error {
  if (errorCode(err) !== "42501") return err instanceof Error ? err : new Error(String(err));
  const target = describePostgresUrl(opts.url);
  const user = target.includes("@") ? target.slice(0, target.indexOf("@")) : "<user>";
  return new ConfigError({
    problem: `PostgreSQL at ${target}: the schema "${opts.schema}" does not exist and this user may not create it`,
    keyPath: "store.schema",
    fix: `have an administrator run: CREATE SCHEMA ${opts.schema} AUTHORIZATION ${user}; or set store.schema to a schema the user owns`,
    cause: err,
  });
}

export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

// A refused dual-stack connect is an AggregateError with an empty message; its parts say what happened.
function errorText(err: unknown): string {
  if (err instanceof AggregateError && !err.message) return err.errors.map(errorText).join("; ") || String(errorCode(err) ?? "connection failed");
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
