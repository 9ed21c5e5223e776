// The Memory page: the agent's memory files (size, modified, chunks), the index status (files, chunks, last indexed,
// embeddings), a search box whose results show path:lines, score and snippet as text, and a Reindex button.
// Data: GET /memory/status, GET /memory/search, POST /memory/reindex.
import { html, loadStylesheet, useEffect, useState } from "../lib/html.js";
import { api } from "../lib/api.js";
import { Badge, ErrorBanner, Fields, Spinner, Table } from "../lib/components.js";
import { formatRelative, formatTime } from "../lib/format.js";

loadStylesheet("/ui/pages/memory.css");

const formatSize = (bytes) => (bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`);

export default function Page({ route, navigate }) {
  const agent = route.query.get("agent") || "default";
  const query = route.query.get("q") ?? "";
  const [status, setStatus] = useState({ loading: true, error: undefined, data: undefined });
  const [attempt, setAttempt] = useState(0);
  const [search, setSearch] = useState({ loading: false, error: undefined, results: undefined });
  const [draft, setDraft] = useState(query);
  const [reindex, setReindex] = useState({ busy: false, error: undefined, report: undefined });

  useEffect(() => {
    let current = true;
    setStatus((s) => ({ ...s, loading: true, error: undefined }));
    api.get(`/memory/status?${new URLSearchParams({ agent })}`).then(
      (data) => current && setStatus({ loading: false, error: undefined, data }),
      (error) => current && setStatus({ loading: false, error, data: undefined }),
    );
    return () => (current = false);
  }, [agent, attempt]);

  useEffect(() => {
    if (!query) return setSearch({ loading: false, error: undefined, results: undefined });
    let current = true;
    setSearch((s) => ({ ...s, loading: true, error: undefined }));
    api.get(`/memory/search?${new URLSearchParams({ agent, q: query, limit: "10" })}`).then(
      (res) => current && setSearch({ loading: false, error: undefined, results: res.results ?? [] }),
      (error) => current && setSearch({ loading: false, error, results: undefined }),
    );
    return () => (current = false);
  }, [agent, query, attempt]);

  const submit = (e) => {
    e.preventDefault();
    const params = new URLSearchParams(route.query);
    const q = draft.trim();
    if (q) params.set("q", q);
    else params.delete("q");
    const qs = params.toString();
    navigate(`memory${qs ? `?${qs}` : ""}`, { replace: true });
  };
  const runReindex = () => {
    setReindex({ busy: true, error: undefined, report: undefined });
    api.post("/memory/reindex", { agent }).then(
      (report) => {
        setReindex({ busy: false, error: undefined, report });
        setAttempt((n) => n + 1);
      },
      (error) => setReindex({ busy: false, error, report: undefined }),
    );
  };

  const data = status.data;
  const fileColumns = [
    { key: "path", label: "File", render: (f) => html`<span class="mono">${f.path}</span>` },
    { key: "size", label: "Size", render: (f) => formatSize(f.size) },
    { key: "modifiedAt", label: "Updated", render: (f) => html`<time title=${formatTime(f.modifiedAt)}>${formatRelative(f.modifiedAt)}</time>` },
    { key: "chunks", label: "Chunks" },
  ];

  return html`<section class="page memory-page">
    <div class="memory-top">
      <form class="memory-search" role="search" aria-label="Memory search" onSubmit=${submit}>
        <label for="memory-q">Search memory</label>
        <div class="memory-search-row">
          <input id="memory-q" name="q" type="search" placeholder="e.g. dentist appointment" value=${draft} onInput=${(e) => setDraft(e.currentTarget.value)} />
          <button type="submit">Search</button>
        </div>
      </form>
      <div class="memory-actions">
        <button type="button" class="ghost" onClick=${runReindex} disabled=${reindex.busy}>${reindex.busy ? "Reindexing…" : "Reindex"}</button>
        ${reindex.report ? html`<span class="muted memory-reindexed" role="status">Indexed ${reindex.report.indexed} of ${reindex.report.files} files in ${reindex.report.ms} ms</span>` : null}
      </div>
    </div>
    ${reindex.error ? html`<${ErrorBanner} error=${reindex.error} onDismiss=${() => setReindex({ busy: false, error: undefined, report: undefined })} />` : null}
    ${query ? html`<${SearchResults} query=${query} state=${search} />` : null}
    ${status.error
      ? html`<${ErrorBanner} error=${status.error} onRetry=${() => setAttempt((n) => n + 1)} />`
      : !data
        ? html`<div class="page-loading"><${Spinner} label="Loading memory…" /></div>`
        : html`<div class="memory-status card">
            <h3>Index</h3>
            <${Fields} items=${[
              ["Agent", agent],
              ["Files", String(data.files.length)],
              ["Chunks", String(data.chunks)],
              ["Last indexed", data.lastIndexedAt ? formatTime(data.lastIndexedAt) : "never"],
              ["Embeddings", data.embeddings ? html`<${Badge} tone="ok">on<//> <span class="mono">${data.embeddings}</span> (${data.embeddedChunks} of ${data.chunks} chunks)` : html`<${Badge}>off<//> full-text search only`],
            ]} />
          </div>
          <${Table} caption="Memory files" columns=${fileColumns} rows=${data.files} rowKey=${(f) => f.path}
            empty="No memory files yet. The agent writes MEMORY.md and memory/YYYY-MM-DD.md in its workspace; memory.extra_paths adds folders of notes." />`}
  </section>`;
}

function SearchResults({ query, state }) {
  if (state.error) return html`<${ErrorBanner} error=${state.error} />`;
  if (state.loading || !state.results) return html`<div class="page-loading"><${Spinner} label="Searching…" /></div>`;
  return html`<section class="memory-results" aria-label="Search results">
    <h3>Results for “${query}”</h3>
    ${state.results.length === 0
      ? html`<p class="muted">Nothing in memory matches.</p>`
      : html`<ol>
          ${state.results.map((r) => html`<li key=${`${r.path}:${r.startLine}`}>
            <div class="memory-hit-head"><span class="mono">${r.path}:${r.startLine}-${r.endLine}</span> <span class="muted">score ${r.score}</span></div>
            <p class="memory-snippet">${r.snippet}</p>
          </li>`)}
        </ol>`}
  </section>`;
}
