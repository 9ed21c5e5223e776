// Public surface of src/config: loading, editing, paths, JSON Schema, redaction and the root logger.
// Re-exports only.
export { applyEnvOverrides, NAMED_ENV_OVERRIDES, substituteEnvRefs } from "./config-env.ts";
export { CONFIG_SCHEMA_ID, renderConfigJsonSchema } from "./config-json-schema.ts";
export { ConfigIssuesError, formatKeyPath } from "./config-source.ts";
export { IMPLICIT_PROVIDERS } from "./check-references.ts";
export { getConfigValue, parseKeyPath, planConfigEdits, setConfigValue, unsetConfigValue, writeConfigPlan, writeFileAtomic } from "./edit-config.ts";
export type { ConfigEdit, ConfigPlan, EditOptions } from "./edit-config.ts";
export { loadConfig, loadConfigText } from "./load-config.ts";
export type { LoadConfigOptions, LoadedConfig, WithheldPart } from "./load-config.ts";
export { createLogger, REDACT_PATHS } from "./logger.ts";
export { DEFAULT_MALLOC_ENV, DEFAULT_NODE_FLAGS, mallocEnvFor, NODE_FLAGS_ENV, nodeFlagsFor } from "./node-flags.ts";
export type { Logger, LoggerOptions } from "./logger.ts";
export { defaultConfigPath, expandHome, resolveStateDir, resolveWorkspace } from "./paths.ts";
export { prepareStateDir, toSetupError } from "./state-dir.ts";
export type { FsPlace } from "./state-dir.ts";
export type { Env } from "./paths.ts";
export { isSecretKey, redactConfig, redactSecrets } from "./redact.ts";
