// The MCP page: each configured MCP server with its transport, state, trust, last error and the tools the model sees
// (names, safe flag, descriptions as text), and a Restart button per server. Data: GET /mcp, POST /mcp/<server>/restart.
import { html, loadStylesheet, useEffect, useState } from "../lib/html.js";
import { api } from "../lib/api.js";
import { Badge, ErrorBanner, Spinner, StatusPill, Table } from "../lib/components.js";
import { formatRelative, formatTime } from "../lib/format.js";

loadStylesheet("/ui/pages/mcp.css");

export default function Page() {
  const [state, setState] = useState({ loading: true, error: undefined, data: undefined });
  const [attempt, setAttempt] = useState(0);
  const [restart, setRestart] = useState({ busy: undefined, error: undefined });

  useEffect(() => {
    let current = true;
    api.get("/mcp").then(
      (data) => current && setState({ loading: false, error: undefined, data }),
      (error) => current && setState({ loading: false, error, data: undefined }),
    );
    return () => (current = false);
  }, [attempt]);

  const runRestart = (name) => {
    setRestart({ busy: name, error: undefined });
    api.post(`/mcp/${encodeURIComponent(name)}/restart`, {}).then(
      () => {
        setRestart({ busy: undefined, error: undefined });
        setAttempt((n) => n + 1);
      },
      (error) => {
        setRestart({ busy: undefined, error });
        setAttempt((n) => n + 1);
      },
    );
  };

  if (state.error) return html`<section class="page mcp-page"><${ErrorBanner} error=${state.error} onRetry=${() => setAttempt((n) => n + 1)} /></section>`;
  if (!state.data) return html`<section class="page mcp-page"><div class="page-loading"><${Spinner} label="Loading MCP servers…" /></div></section>`;
  const servers = state.data.servers;
  return html`<section class="page mcp-page">
    ${restart.error ? html`<${ErrorBanner} error=${restart.error} onDismiss=${() => setRestart({ busy: undefined, error: undefined })} />` : null}
    ${servers.length === 0
      ? html`<p class="muted">No MCP servers configured. Add one under <span class="mono">mcp.servers</span> in pincer.yaml (see docs/mcp.md).</p>`
      : servers.map((s) => html`<${Server} key=${s.name} server=${s} busy=${restart.busy === s.name} onRestart=${() => runRestart(s.name)} />`)}
  </section>`;
}

function Server({ server, busy, onRestart }) {
  const columns = [
    { key: "name", label: "Tool", render: (t) => html`<span class="mono">${t.name}</span>` },
    { key: "safe", label: "Safe", render: (t) => (t.safe ? html`<${Badge} tone="ok">safe<//>` : "") },
    { key: "description", label: "Description", render: (t) => html`<span class="mcp-description">${t.description}</span>` },
  ];
  return html`<article class="card mcp-server" aria-label=${`MCP server ${server.name}`}>
    <header class="mcp-server-head">
      <h3 class="mono">${server.name}</h3>
      <${StatusPill} status=${server.state} />
      <${Badge}>${server.transport}<//>
      ${server.trusted ? html`<${Badge} tone="ok">trusted<//>` : html`<${Badge} tone="warn" title="Its results taint the run: guarded tools then need approval">untrusted<//>`}
      <span class="muted">${server.listedTools === null ? "not listed yet" : `${server.listedTools} listed, ${server.tools.length} offered`}${server.restarts ? `, ${server.restarts} restart(s)` : ""}</span>
      <button type="button" class="ghost" onClick=${onRestart} disabled=${busy}>${busy ? "Restarting…" : "Restart"}</button>
    </header>
    ${server.lastError
      ? html`<p class="mcp-error" role="status">Last error${server.lastErrorAt ? html` <time title=${formatTime(server.lastErrorAt)}>${formatRelative(server.lastErrorAt)}</time>` : null}: <span class="mono">${server.lastError}</span></p>`
      : null}
    <${Table} caption=${`Tools of ${server.name}`} columns=${columns} rows=${server.tools} rowKey=${(t) => t.name}
      empty="No tools yet: the server starts with the first turn (or Restart)." />
  </article>`;
}
