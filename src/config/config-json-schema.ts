// JSON Schema for pincer.yaml, derived from the zod config schema, for editors (yaml-language-server) and
// `pincer config schema`. Input side: defaults are optional, as users write the file.
import { z } from "zod";
import { configSchema } from "../core/config-schema.ts";

export const CONFIG_SCHEMA_ID = "https://pincer.dev/schema/pincer.yaml.json";

/** The config's JSON Schema (draft 2020-12) with `$id`, title and description set. */
export function renderConfigJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return {
    $schema: schema["$schema"],
    $id: CONFIG_SCHEMA_ID,
    title: "Pincer configuration (pincer.yaml)",
    description: "Self-hosted AI assistant gateway. Strings may reference environment variables as ${env:NAME}.",
    ...schema,
  };
}
