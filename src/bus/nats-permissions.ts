// NATS permissions of one instance's bus user: its own subjects, the JetStream API calls on its own two streams and
// their consumers, and its own inbox prefix — of another instance only the inbound subjects a2a.allow_to names.
// Also renders a nats-server users block.
import { validateInstance } from "./bus-subjects.ts";
import { deadLetterStreamName, workStreamName } from "./nats-streams.ts";

export interface NatsPermissions {
  publish: { allow: string[] };
  subscribe: { allow: string[] };
}

/**
 * The permission block a nats-server user needs to run the bus of `instance` and nothing else: publish and
 * subscribe on `pincer.<instance>.>`; create / update / inspect its streams `PINCER_<instance>` and
 * `PINCER_<instance>_DLQ` and their consumers (no delete or purge of streams); pull and ack messages; read dead
 * letters; replies on `_INBOX_<instance>.>`. Contract: pure; the lists are in a stable order.
 */
export function natsPermissionsFor(instance: string, opts: { allowTo?: readonly string[] } = {}): NatsPermissions {
  validateInstance(instance);
  const api = "$JS.API";
  const streams = [workStreamName(instance), deadLetterStreamName(instance)];
  const publish = [`pincer.${instance}.>`, `${api}.INFO`];
  for (const s of streams) {
    publish.push(
      `${api}.STREAM.CREATE.${s}`,
      `${api}.STREAM.UPDATE.${s}`,
      `${api}.STREAM.INFO.${s}`,
      `${api}.CONSUMER.CREATE.${s}`,
      `${api}.CONSUMER.CREATE.${s}.>`,
      `${api}.CONSUMER.DURABLE.CREATE.${s}.*`,
      `${api}.CONSUMER.INFO.${s}.*`,
      `${api}.CONSUMER.LIST.${s}`,
      `${api}.CONSUMER.NAMES.${s}`,
      `${api}.CONSUMER.MSG.NEXT.${s}.*`,
      `$JS.ACK.${s}.>`,
    );
  }
  // Dead letters are read by sequence, and by the short-lived consumers that tools like `nats stream view` create.
  const dlq = deadLetterStreamName(instance);
  publish.push(`${api}.STREAM.MSG.GET.${dlq}`, `${api}.CONSUMER.DELETE.${dlq}.*`);
  // Agent-to-agent messages (a2a.allow_to): only the other instance's inbound subject, nothing else of it. The
  // JetStream ack comes back on this instance's own inbox.
  for (const target of opts.allowTo ?? []) {
    validateInstance(target);
    if (target !== instance) publish.push(`pincer.${target}.inbound`);
  }
  return { publish: { allow: publish }, subscribe: { allow: [`pincer.${instance}.>`, `_INBOX_${instance}.>`] } };
}

/** One user of a nats-server `authorization { users = [...] }` block: password or nkey authentication. */
/** `allowTo`: the instance's a2a.allow_to. */
export type NatsUser = ({ instance: string; user: string; password: string } | { instance: string; nkey: string }) & { allowTo?: readonly string[] };

/** Renders a nats-server `authorization` block giving each user the permissions of its instance. */
export function renderNatsAuthorization(users: readonly NatsUser[]): string {
  const q = (s: string) => JSON.stringify(s);
  const allow = (items: readonly string[]) => ["          allow: [", ...items.map((i, n) => `            ${q(i)}${n < items.length - 1 ? "," : ""}`), "          ]"];
  const entries = users.map((u) => {
    const p = natsPermissionsFor(u.instance, { allowTo: u.allowTo ?? [] });
    const auth = "nkey" in u ? [`      nkey: ${q(u.nkey)}`] : [`      user: ${q(u.user)}`, `      password: ${q(u.password)}`];
    return [
      "    {",
      `      # instance ${u.instance}`,
      ...auth,
      "      permissions: {",
      "        publish: {",
      ...allow(p.publish.allow),
      "        }",
      "        subscribe: {",
      ...allow(p.subscribe.allow),
      "        }",
      "      }",
      "    }",
    ].join("\n");
  });
  return `authorization {\n  users = [\n${entries.join("\n")}\n  ]\n}\n`;
}
