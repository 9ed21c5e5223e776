// Public entry of the model layer: router, events, credentials and auth store, presets, prices.
export { createModelRouter } from "./model-router.ts";
export type { ModelRouter, ModelRouterOptions } from "./model-router.ts";
export type { BudgetPayer, ModelEvent, ModelRequest, ToolCallRequest, ToolSpec } from "./model-events.ts";
export { resolveCandidates } from "./model-candidates.ts";
export type { Candidate } from "./model-candidates.ts";
export { resolveCredential } from "./credentials.ts";
export type { CredentialQuery, CredentialSource, ResolvedCredential } from "./credentials.ts";
export { authStorePath, listCredentials, loadAuthStore, maskSecret, removeCredential, saveAuthStore, setCredential } from "./auth-store.ts";
export type { AuthStore, AuthStoreEntry, CredentialInput, CredentialListing, CredentialType, OAuthCredential } from "./auth-store.ts";
export { apiKeyEnvVar, baseURLOf, COMPAT_PRESET_INFO, findProviderConfig, isKeyRequired, oauthEnvVar, splitModelRef } from "./presets.ts";
export type { PresetInfo } from "./presets.ts";
export { BUILTIN_PRICES, computeCost, findPrice, mergePrices } from "./prices.ts";
export type { PricedModel, TokenCounts } from "./prices.ts";
export { createLanguageModel } from "./provider-registry.ts";
export type { LanguageModelOptions } from "./provider-registry.ts";
export { toProviderError } from "./provider-errors.ts";
