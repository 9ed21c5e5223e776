import { mkdtemp, rm, symlink, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HEARTBEAT_MAX_BYTES, listOpenItems, readHeartbeatFile } from "./heartbeat-file.ts";

describe("listOpenItems", () => {
  it("finds nothing in an empty file, headings, rules and bare list markers", () => {
    expect(listOpenItems("")).toEqual([]);
    expect(listOpenItems("\n  \n\t\n")).toEqual([]);
    expect(listOpenItems("# Heartbeat\n\n## Daily\n### \n---\n- \n* [ ]\n```\n```")).toEqual([]);
    expect(listOpenItems("Checks\n======\n\nLater\n-----\n")).toEqual([]);
  });

  it("ignores HTML comments, on one line or across lines, and one left open", () => {
    expect(listOpenItems("<!-- add items below -->\n<!--\n- not this\n- nor this\n-->\n")).toEqual([]);
    expect(listOpenItems("# Tasks\n<!-- draft:\n- hidden")).toEqual([]);
    expect(listOpenItems("- call Bob <!-- about the lease -->")).toEqual(["- call Bob"]);
  });

  it("skips checked tasks and keeps unchecked ones and plain lines", () => {
    const text = "\uFEFF# Heartbeat\r\n- [x] renew the domain\r\n- [X] pay rent\r\n1. [x] done\r\n- [ ] check the build on main\r\nWater the plants on Fridays\r\n";
    expect(listOpenItems(text)).toEqual(["- [ ] check the build on main", "Water the plants on Fridays"]);
  });
});

describe("readHeartbeatFile", () => {
  let dir: string;
  let workspace: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "pincer-heartbeat-file-"));
    workspace = join(dir, "workspace");
    await mkdir(workspace);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads one open item; a missing file is missing", async () => {
    expect(await readHeartbeatFile(workspace)).toEqual({ status: "missing" });
    await writeFile(join(workspace, "HEARTBEAT.md"), "# Heartbeat\n- [ ] tell me if the build is red\n");
    expect(await readHeartbeatFile(workspace)).toMatchObject({ status: "read", items: ["- [ ] tell me if the build is red"], truncated: false });
  });

  it("refuses a symlink out of the workspace, and a directory", async () => {
    await writeFile(join(dir, "secret.md"), "- leak me\n");
    await symlink(join(dir, "secret.md"), join(workspace, "HEARTBEAT.md"));
    const refused = await readHeartbeatFile(workspace);
    expect(refused.status).toBe("refused");
    await rm(join(workspace, "HEARTBEAT.md"));
    await mkdir(join(workspace, "HEARTBEAT.md"));
    expect((await readHeartbeatFile(workspace)).status).toBe("refused");
  });

  it("reads only the first HEARTBEAT_MAX_BYTES of a huge file", async () => {
    const line = "- [x] done long ago, nothing to see here\n";
    const filler = line.repeat(Math.ceil((HEARTBEAT_MAX_BYTES * 4) / line.length));
    await writeFile(join(workspace, "HEARTBEAT.md"), `- [ ] the first item\n${filler}- [ ] past the cap\n`);
    const read = await readHeartbeatFile(workspace);
    expect(read).toMatchObject({ status: "read", items: ["- [ ] the first item"], truncated: true });
  });
});
