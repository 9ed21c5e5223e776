// loadConfig refuses configs that used to pass and then failed or exposed secrets later: a custom bind without
// a host, `__proto__` keys that vanished from maps, binary files read as empty, workspaces overlapping the state dir.
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../core/errors.ts";
import { loadConfig } from "./load-config.ts";
import { setConfigValue } from "./edit-config.ts";

let root: string;
let home: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "pincer-holes-"));
  home = join(root, ".pincer");
  await mkdir(home);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function loadError(content: string | Uint8Array): Promise<ConfigError> {
  const file = join(home, "pincer.yaml");
  await writeFile(file, content);
  const err: unknown = await loadConfig({ file, env: { PINCER_HOME: home, HOME: root } }).catch((e: unknown) => e);
  if (!(err instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(err)}`);
  return err;
}

async function loads(yaml: string): Promise<void> {
  const file = join(home, "pincer.yaml");
  await writeFile(file, yaml);
  await loadConfig({ file, env: { PINCER_HOME: home, HOME: root } });
}

describe("gateway.bind: custom", () => {
  it("needs gateway.host, reported at the gateway section's line", async () => {
    const err = await loadError("log:\n  level: info\ngateway:\n  bind: custom\n");
    expect(err.message).toBe(
      `${join(home, "pincer.yaml")}:3 gateway.host: gateway.bind is custom but no host is set. Fix: set gateway.host to the address to listen on (e.g. 192.168.1.10), or use bind: loopback | lan`,
    );
    await expect(loads("gateway:\n  bind: custom\n  host: 127.0.0.2\n")).resolves.toBeUndefined();
  });
});

describe("__proto__ keys", () => {
  it("are refused where they are written, in every map", async () => {
    const cases: Array<[string, string, number]> = [
      ["agents:\n  __proto__:\n    model: default\n", "agents.__proto__", 2],
      ["models:\n  providers:\n    __proto__:\n      type: openai\n", "models.providers.__proto__", 3],
      ["models:\n  prices:\n    __proto__:\n      input: 1\n      output: 1\n", "models.prices.__proto__", 3],
      ["channels:\n  telegram:\n    accounts:\n      __proto__:\n        token: x\n", "channels.telegram.accounts.__proto__", 4],
      ["channels:\n  telegram:\n    accounts:\n      main:\n        token: x\n        groups:\n          __proto__: {}\n", "channels.telegram.accounts.main.groups.__proto__", 7],
    ];
    for (const [yaml, keyPath, line] of cases) {
      const err = await loadError(yaml);
      expect([keyPath, err.keyPath, err.line, err.problem]).toEqual([keyPath, keyPath, line, '"__proto__" cannot be used as a name']);
    }
  });

  it("cannot be written by 'pincer config set' either", async () => {
    const file = join(home, "pincer.yaml");
    await writeFile(file, "log:\n  level: info\n");
    const err = await setConfigValue(file, "agents.__proto__.model", "default", { env: { PINCER_HOME: home } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).keyPath).toBe("agents.__proto__");
  });
});

describe("a file that is not YAML text", () => {
  it("is refused by name when it holds NUL bytes or invalid UTF-8", async () => {
    const file = join(home, "pincer.yaml");
    expect((await loadError(Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00]))).message).toBe(
      `${file}: the file is not YAML text (it contains NUL bytes; is it a binary file?). Fix: point --config (or PINCER_HOME) at your pincer.yaml, or replace this file with a YAML text file`,
    );
    expect((await loadError(Uint8Array.from([0x6c, 0x6f, 0x67, 0x3a, 0x20, 0xff, 0xfe, 0x0a]))).problem).toBe("the file is not YAML text (it is not valid UTF-8)");
  });
});

describe("agent workspaces and the state dir", () => {
  const refused = async (workspace: string): Promise<ConfigError> => loadError(`agents:\n  default:\n    workspace: ${workspace}\n`);

  it("refuses the state dir itself, and a workspace that contains it (~ with the state dir ~/.pincer)", async () => {
    const same = await refused(home);
    expect(same.message).toBe(
      `${join(home, "pincer.yaml")}:3 agents.default.workspace: the workspace ${home} is the state dir; the agent's file tools could read its credentials, gateway token and database. Fix: set agents.default.workspace to a folder outside ${home}, or remove it to use ${join(home, "workspace")}`,
    );
    expect((await refused('"~"')).problem).toBe(`the workspace ${root} contains the state dir ${home}; the agent's file tools could read its credentials, gateway token and database`);
    expect((await refused(".")).keyPath).toBe("agents.default.workspace");
  });

  it("refuses folders of the state dir other than workspace*, and compares real paths", async () => {
    expect((await refused("whatsapp")).problem).toMatch(/^the workspace .+\/whatsapp is inside the state dir .+, outside its workspace folders;/);
    await symlink(home, join(root, "link-to-state"));
    expect((await refused(join(root, "link-to-state"))).problem).toMatch(/is the state dir;/);
    await symlink(root, join(home, "workspace-up"));
    expect((await refused(join(home, "workspace-up"))).problem).toMatch(/contains the state dir/);
  });

  it("accepts the defaults, workspace* folders and folders elsewhere", async () => {
    await expect(loads("agents:\n  default: {}\n  helper: {}\n")).resolves.toBeUndefined();
    await expect(loads("agents:\n  default:\n    workspace: workspace-extra/sub\n")).resolves.toBeUndefined();
    await expect(loads(`agents:\n  default:\n    workspace: ${join(root, "projects", "ws")}\n`)).resolves.toBeUndefined();
  });
});
