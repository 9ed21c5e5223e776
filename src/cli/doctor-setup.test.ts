// `pincer doctor` fails on setup that would leak or silently misbehave: a workspace that exposes the state dir,
// and a provider whose api_key_env names an unset variable.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runChecks } from "./doctor-command.ts";

let root: string;
let home: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "pincer-doctor-setup-"));
  home = join(root, ".pincer");
  await mkdir(home);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function checksFor(yaml: string) {
  await writeFile(join(home, "pincer.yaml"), yaml);
  return runChecks(undefined, { PINCER_HOME: home, HOME: root });
}

describe("doctor: setup that exposes or misleads", () => {
  it("fails the config check when a workspace contains the state dir", async () => {
    const checks = await checksFor('agents:\n  default:\n    workspace: "~"\n');
    expect(checks.find((c) => c.name === "config")).toMatchObject({
      status: "fail",
      detail: expect.stringContaining(`:3 agents.default.workspace: the workspace ${root} contains the state dir ${home}`),
    });
  });

  it("fails the credential check when api_key_env names an unset variable", async () => {
    const checks = await checksFor(
      "models:\n  providers:\n    local: { type: openai-compatible, base_url: 'http://127.0.0.1:9/v1', api_key_env: OPENAI_KEY }\n  tiers:\n    default: { primary: local/m }\n",
    );
    expect(checks.filter((c) => c.name === "credential")).toEqual([
      {
        name: "credential",
        status: "fail",
        detail: `models.providers.local.api_key_env: OPENAI_KEY is not set (provider "local", tier "default" (local/m)). Fix: export OPENAI_KEY=<key>, or run 'pincer auth set local', or remove api_key_env for a keyless local server`,
      },
    ]);
  });
});
