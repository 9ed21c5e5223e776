// The systemd unit and launchd plist, line by line: absolute paths, quoting of awkward values, no secrets.
import { describe, expect, it } from "vitest";
import { escapeXml, quoteEnvAssignment, quoteExecWord, renderLaunchdPlist, renderSystemdUnit, stopTimeoutFor, type ServiceSpec } from "./service-unit.ts";

function spec(overrides: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    nodePath: "/opt/node/bin/node",
    nodeFlags: ["--max-semi-space-size=8"],
    entryPath: "/opt/pincer/bin/pincer.js",
    args: ["gateway", "--shutdown-deadline", "10000", "--config", "/etc/pincer/pincer.yaml"],
    env: {},
    stateDir: "/home/ada/.pincer",
    stopTimeoutSec: 15,
    ...overrides,
  };
}

describe("renderSystemdUnit", () => {
  it("writes a user unit with absolute paths, restart policy and an optional env file", () => {
    expect(renderSystemdUnit(spec()).split("\n")).toEqual([
      "# Written by 'pincer gateway install'; 'pincer gateway uninstall' removes it.",
      "[Unit]",
      "Description=Pincer gateway (self-hosted AI assistant)",
      "After=network-online.target",
      "",
      "[Service]",
      "Type=simple",
      "ExecStart=/opt/node/bin/node --max-semi-space-size=8 /opt/pincer/bin/pincer.js gateway --shutdown-deadline 10000 --config /etc/pincer/pincer.yaml",
      "EnvironmentFile=-/home/ada/.pincer/gateway.env",
      "Restart=on-failure",
      "RestartSec=2",
      "KillSignal=SIGTERM",
      "KillMode=mixed",
      "TimeoutStopSec=15",
      "NoNewPrivileges=true",
      "",
      "[Install]",
      "WantedBy=default.target",
      "",
    ]);
  });

  it("quotes a PINCER_HOME with a space and a percent sign, and escapes it in every path", () => {
    const home = "/srv/my pincer/100%";
    const lines = renderSystemdUnit(spec({ env: { PINCER_HOME: home }, stateDir: home, args: ["gateway", "--config", `${home}/pincer.yaml`] })).split("\n");
    expect(lines).toContain('ExecStart=/opt/node/bin/node --max-semi-space-size=8 /opt/pincer/bin/pincer.js gateway --config "/srv/my pincer/100%%/pincer.yaml"');
    expect(lines).toContain('Environment="PINCER_HOME=/srv/my pincer/100%%"');
    expect(lines).toContain("EnvironmentFile=-/srv/my pincer/100%%/gateway.env");
  });

  it("never contains a token: the unit carries only the spec's env", () => {
    const text = renderSystemdUnit(spec({ env: { PINCER_HOME: "/home/ada/.pincer" } }));
    expect(text).not.toMatch(/TOKEN|pgw_/);
    expect(text.match(/^Environment=/gm)).toHaveLength(1);
  });
});

describe("systemd quoting", () => {
  it("leaves plain words alone and quotes words with spaces, quotes or backslashes", () => {
    expect(quoteExecWord("/usr/bin/node")).toBe("/usr/bin/node");
    expect(quoteExecWord("a b")).toBe('"a b"');
    expect(quoteExecWord('say "hi"\\')).toBe('"say \\"hi\\"\\\\"');
    expect(quoteExecWord("")).toBe('""');
  });

  it("doubles $ in arguments but not in the program path, and % everywhere", () => {
    expect(quoteExecWord("/p/$HOME/50%")).toBe("/p/$$HOME/50%%");
    expect(quoteExecWord("/p/$x y/50%", { program: true })).toBe('"/p/$x y/50%%"');
  });

  it("quotes an Environment= assignment as a whole", () => {
    expect(quoteEnvAssignment("A", "plain")).toBe("A=plain");
    expect(quoteEnvAssignment("A", 'two words "q"')).toBe('"A=two words \\"q\\""');
    expect(quoteEnvAssignment("A", "$HOME")).toBe("A=$HOME");
  });
});

describe("renderLaunchdPlist", () => {
  it("writes a launchd agent with program arguments, env, keep-alive and log paths", () => {
    expect(renderLaunchdPlist(spec({ env: { PINCER_HOME: "/Users/ada/.pincer" }, stateDir: "/Users/ada/.pincer" })).split("\n")).toEqual([
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
      "<!-- Written by 'pincer gateway install'; 'pincer gateway uninstall' removes it. -->",
      '<plist version="1.0">',
      "<dict>",
      "  <key>Label</key>",
      "  <string>ai.pincer.gateway</string>",
      "  <key>ProgramArguments</key>",
      "  <array>",
      "    <string>/opt/node/bin/node</string>",
      "    <string>--max-semi-space-size=8</string>",
      "    <string>/opt/pincer/bin/pincer.js</string>",
      "    <string>gateway</string>",
      "    <string>--shutdown-deadline</string>",
      "    <string>10000</string>",
      "    <string>--config</string>",
      "    <string>/etc/pincer/pincer.yaml</string>",
      "  </array>",
      "  <key>EnvironmentVariables</key>",
      "  <dict>",
      "    <key>PINCER_HOME</key>",
      "    <string>/Users/ada/.pincer</string>",
      "  </dict>",
      "  <key>RunAtLoad</key>",
      "  <true/>",
      "  <key>KeepAlive</key>",
      "  <dict>",
      "    <key>SuccessfulExit</key>",
      "    <false/>",
      "  </dict>",
      "  <key>StandardOutPath</key>",
      "  <string>/Users/ada/.pincer/logs/gateway.out.log</string>",
      "  <key>StandardErrorPath</key>",
      "  <string>/Users/ada/.pincer/logs/gateway.err.log</string>",
      "  <key>ExitTimeOut</key>",
      "  <integer>15</integer>",
      "</dict>",
      "</plist>",
      "",
    ]);
  });

  it("XML-escapes every value", () => {
    const text = renderLaunchdPlist(spec({ env: { PINCER_HOME: "/Users/a&b/<x>" }, stateDir: "/Users/a&b/<x>", args: ["gateway", "--config", `/c/"it's".yaml`] }));
    expect(text).toContain("<string>/Users/a&amp;b/&lt;x&gt;</string>");
    expect(text).toContain("<string>/Users/a&amp;b/&lt;x&gt;/logs/gateway.err.log</string>");
    expect(text).toContain("<string>/c/&quot;it&apos;s&quot;.yaml</string>");
    expect(escapeXml("&<>\"'")).toBe("&amp;&lt;&gt;&quot;&apos;");
  });
});

describe("stopTimeoutFor", () => {
  it("is the shutdown deadline in whole seconds plus a 5 s margin", () => {
    expect(stopTimeoutFor(10_000)).toBe(15);
    expect(stopTimeoutFor(10_001)).toBe(16);
    expect(stopTimeoutFor(0)).toBe(5);
  });
});
