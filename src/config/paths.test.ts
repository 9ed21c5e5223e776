// Tests for state dir, default config path and workspace resolution.
import { homedir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultConfigPath, expandHome, resolveStateDir, resolveWorkspace } from "./paths.ts";

describe("paths", () => {
  it("uses PINCER_HOME, else ~/.pincer", () => {
    expect(resolveStateDir({ PINCER_HOME: "/srv/pincer" })).toBe("/srv/pincer");
    expect(resolveStateDir({ HOME: "/home/ann" })).toBe("/home/ann/.pincer");
    expect(resolveStateDir({ PINCER_HOME: "~/state", HOME: "/home/ann" })).toBe("/home/ann/state");
    expect(resolveStateDir({})).toBe(join(homedir(), ".pincer"));
  });

  it("puts the config file in the state dir", () => {
    expect(defaultConfigPath("/srv/pincer")).toBe("/srv/pincer/pincer.yaml");
  });

  it("derives workspaces per agent and resolves configured ones", () => {
    expect(resolveWorkspace("/s", "default")).toBe("/s/workspace");
    expect(resolveWorkspace("/s", "helper")).toBe("/s/workspace-helper");
    expect(resolveWorkspace("/s", "helper", "notes")).toBe("/s/notes");
    expect(resolveWorkspace("/s", "helper", "/abs/ws")).toBe("/abs/ws");
    expect(resolveWorkspace("/s", "helper", "~/ws", { HOME: "/home/ann" })).toBe("/home/ann/ws");
  });

  it("expands only a leading ~", () => {
    expect(expandHome("~", { HOME: "/h" })).toBe("/h");
    expect(expandHome("a/~/b", { HOME: "/h" })).toBe("a/~/b");
    expect(expandHome("~other", { HOME: "/h" })).toBe("~other");
  });
});
