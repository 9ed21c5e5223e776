// Public surface of the sandbox folder: the Sandbox port, its two backends, detection and selection.
export type { ExecOptions, ExecResult, Sandbox } from "./sandbox.ts";
export { SANDBOX_PATH, buildSandboxEnv } from "./sandbox.ts";
export { createBubblewrapSandbox, buildBwrapArgs, type BubblewrapSandboxOptions } from "./bubblewrap-sandbox.ts";
export { createHostSandbox, type HostSandboxOptions } from "./host-sandbox.ts";
export { detectBubblewrap, createSandbox, type BubblewrapDetection } from "./detect.ts";
