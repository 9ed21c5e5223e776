// `npm run build`: compiles src/ to dist/ (for `npm install -g .`), rewriting .ts imports to .js, and copies the WebChat files.
import { spawnSync } from "node:child_process";
import { cpSync, rmSync } from "node:fs";

rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true });
const result = spawnSync("tsc", ["-p", "tsconfig.build.json"], { stdio: "inherit", shell: false });
if (result.status !== 0) process.exit(result.status ?? 1);
// Static files tsc does not copy: the WebChat page.
cpSync(new URL("../src/gateway/webchat", import.meta.url), new URL("../dist/gateway/webchat", import.meta.url), { recursive: true });
process.stdout.write("built dist/ — install the command with: npm install -g .\n");
