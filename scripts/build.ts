// `npm run build`: compiles src/ to dist/ (for `npm install -g .`), rewriting .ts imports to .js.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";

rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true });
const result = spawnSync("tsc", ["-p", "tsconfig.build.json"], { stdio: "inherit", shell: false });
if (result.status !== 0) process.exit(result.status ?? 1);
process.stdout.write("built dist/ — install the command with: npm install -g .\n");
