// Public entry for the loopback model-API fakes: both server factories plus the script types.
export { startCannedOpenAI, startFakeOpenAI, FAKE_OPENAI_MODELS } from "./openai-api.ts";
export type { CannedOpenAIOptions, CannedOpenAIServer } from "./openai-api.ts";
export { startFakeAnthropic } from "./anthropic-api.ts";
export type {
  FakeModelServer,
  FakeServerOptions,
  RecordedRequest,
  Responder,
  ScriptedReply,
  ScriptedToolCall,
} from "./model-script.ts";
