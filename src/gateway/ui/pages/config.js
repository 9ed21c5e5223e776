// The Config page: the effective config (secrets redacted) as a tree or JSON at #/config, and an editor for pincer.yaml
// at #/config/edit that checks an edit as a reload would, shows what changes (and what waits for a restart) with the
// text diff, then saves atomically and reloads. Data: GET /config, GET|PUT /config/file, POST /config/validate.
import { html, loadStylesheet, useEffect, useMemo, useRef, useState } from "../lib/html.js";
import { api } from "../lib/api.js";
import { CopyButton, EmptyState, ErrorBanner, JsonTree, Segmented, Spinner } from "../lib/components.js";
import { diffHunks, diffLines } from "./config-diff.js";

loadStylesheet("/ui/pages/config.css");

export default function Page({ route }) {
  const tab = route.rest === "edit" ? "edit" : "effective";
  const [effectiveVersion, setEffectiveVersion] = useState(0); // bumped after a save, so the tree shows the new config
  // The editor stays mounted once opened, so switching to the effective config and back keeps unsaved edits.
  const [editorOpened, setEditorOpened] = useState(tab === "edit");
  useEffect(() => {
    if (tab === "edit") setEditorOpened(true);
  }, [tab]);
  return html`
    <section class="page config-page">
      <nav class="tabs" aria-label="Config views">
        <a href="#/config" aria-current=${tab === "effective" ? "page" : undefined} class="tab">Effective config</a>
        <a href="#/config/edit" aria-current=${tab === "edit" ? "page" : undefined} class="tab">Edit pincer.yaml</a>
      </nav>
      <div hidden=${tab !== "effective"}><${EffectiveConfig} version=${effectiveVersion} /></div>
      ${editorOpened || tab === "edit"
        ? html`<div hidden=${tab !== "edit"}><${ConfigEditor} onSaved=${() => setEffectiveVersion((n) => n + 1)} /></div>`
        : null}
    </section>`;
}

function EffectiveConfig({ version }) {
  const [config, setConfig] = useState(undefined);
  const [error, setError] = useState(undefined);
  const [view, setView] = useState("tree");
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let live = true;
    setError(undefined);
    api.get("/config").then((c) => live && setConfig(c), (err) => live && setError(err));
    return () => (live = false);
  }, [version, attempt]);
  if (error) return html`<${ErrorBanner} error=${error} onRetry=${() => setAttempt((n) => n + 1)} />`;
  if (!config) return html`<div class="page-loading"><${Spinner} label="Loading the config…" /></div>`;
  const json = JSON.stringify(config, null, 2);
  return html`
    <div class="config-toolbar">
      <p class="muted config-note">The config in force now, defaults included. Secrets show as <code>***</code>.</p>
      <${Segmented} label="Show as" hideLabel value=${view} onChange=${setView} options=${[{ id: "tree", label: "Tree" }, { id: "json", label: "JSON" }]} />
      <${CopyButton} text=${json} label="Copy JSON" />
      <button type="button" class="small" onClick=${() => setAttempt((n) => n + 1)}>Refresh</button>
    </div>
    <div class="card config-effective" data-testid="effective-config">
      ${view === "tree" ? html`<${JsonTree} value=${config} openDepth=${1} label="Effective config" />` : html`<pre class="config-json">${json}</pre>`}
    </div>`;
}

/** The editor's steps: editing → (check) → reviewing → saving → saved. */
function ConfigEditor({ onSaved }) {
  const [file, setFile] = useState(undefined); // GET /config/file
  const [loadError, setLoadError] = useState(undefined);
  const [text, setText] = useState("");
  const [loadCount, setLoadCount] = useState(0);
  const [check, setCheck] = useState(undefined); // { text, ok, problems?, changes? } of the last check
  const [busy, setBusy] = useState(""); // "" | "checking" | "saving"
  const [reviewing, setReviewing] = useState(false);
  const [saved, setSaved] = useState(undefined); // the PUT answer
  const [saveError, setSaveError] = useState(undefined);
  const editor = useRef();

  useEffect(() => {
    let live = true;
    setLoadError(undefined);
    api.get("/config/file").then(
      (f) => {
        if (!live) return;
        setFile(f);
        setText(f.text);
        setCheck(undefined);
        setReviewing(false);
      },
      (err) => live && setLoadError(err),
    );
    return () => (live = false);
  }, [loadCount]);

  const dirty = file !== undefined && text !== file.text;
  const checked = check && check.text === text ? check : undefined;

  const runCheck = async () => {
    setBusy("checking");
    setSaveError(undefined);
    try {
      const res = await api.post("/config/validate", { yaml: text });
      const result = { text, ok: res.ok, problems: res.problems ?? [], changes: res.changes ?? [] };
      setCheck(result);
      return result;
    } catch (err) {
      setSaveError(err);
      return undefined;
    } finally {
      setBusy("");
    }
  };
  const review = async () => {
    setSaved(undefined);
    const result = checked ?? (await runCheck());
    if (result?.ok) setReviewing(true);
  };
  const save = async () => {
    setBusy("saving");
    setSaveError(undefined);
    try {
      const res = await api.put("/config/file", { yaml: text, baseHash: file.hash });
      setSaved(res);
      setReviewing(false);
      setLoadCount((n) => n + 1);
      onSaved();
    } catch (err) {
      // The server checks again: a problem found there is shown like one found by Check.
      if (Array.isArray(err.data?.problems)) setCheck({ text, ok: false, problems: err.data.problems, changes: [] });
      setReviewing(false);
      setSaveError(err);
    } finally {
      setBusy("");
    }
  };

  if (loadError) {
    return loadError.status === 404
      ? html`<${EmptyState} title="There is no config file to edit.">${loadError.message}<//>`
      : html`<${ErrorBanner} error=${loadError} onRetry=${() => setLoadCount((n) => n + 1)} />`;
  }
  if (!file) return html`<div class="page-loading"><${Spinner} label="Loading pincer.yaml…" /></div>`;

  const problems = checked && !checked.ok ? checked.problems : [];
  return html`
    <div class="config-file-head">
      <code class="config-path">${file.path}</code>
      ${file.exists ? null : html`<span class="badge warn">not created yet</span>`}
      ${dirty ? html`<span class="badge info">edited</span>` : null}
    </div>
    ${file.redacted
      ? html`<p class="muted config-note">Secrets written in the file show as <code>${"<kept secret #N>"}</code>. Leave a placeholder as it is to keep
          that secret, or replace it with a new value or an <code>${"${env:NAME}"}</code> reference.</p>`
      : null}
    ${saved ? html`<${SavedBanner} saved=${saved} onDismiss=${() => setSaved(undefined)} />` : null}
    ${saveError ? html`<${SaveErrorBanner} error=${saveError} onReload=${() => { setSaveError(undefined); setLoadCount((n) => n + 1); }} onDismiss=${() => setSaveError(undefined)} />` : null}
    ${problems.length > 0 ? html`<${Problems} problems=${problems} onJump=${(line) => editor.current?.jumpTo(line)} />` : null}
    ${checked?.ok && !reviewing ? html`<div class="banner info" role="status"><span>No problems found.${checked.changes.length ? ` ${checked.changes.length} setting${checked.changes.length === 1 ? "" : "s"} would change.` : ""}</span></div>` : null}
    ${reviewing
      ? html`<${Review} before=${file.text} after=${text} changes=${checked?.changes ?? []} busy=${busy === "saving"} onSave=${save} onBack=${() => setReviewing(false)} />`
      : html`
        <${LineEditor} handle=${editor} value=${text} onInput=${setText} problemLines=${new Set(problems.map((p) => p.line).filter(Boolean))} onSaveKey=${review} />
        <div class="config-actions">
          <button type="button" onClick=${runCheck} disabled=${busy !== ""}>${busy === "checking" ? "Checking…" : "Check"}</button>
          <button type="button" class="primary" onClick=${review} disabled=${busy !== "" || !dirty}>Review and save…</button>
          <button type="button" class="ghost" onClick=${() => setText(file.text)} disabled=${!dirty || busy !== ""}>Discard edits</button>
          <span class="muted config-hint">Ctrl+S reviews too.</span>
        </div>`}`;
}

function Problems({ problems, onJump }) {
  return html`<div class="banner error config-problems" role="alert">
    <div>
      <strong>${problems.length === 1 ? "This edit cannot be saved:" : `This edit cannot be saved (${problems.length} problems):`}</strong>
      <ul>
        ${problems.map((p, i) => html`<li key=${i} class="config-problem">
          ${p.line ? html`<button type="button" class="link" onClick=${() => onJump(p.line)}>line ${p.line}</button> · ` : null}
          ${p.keyPath ? html`<code class="config-keypath">${p.keyPath}</code>: ` : null}
          <span>${p.problem}</span>
          ${p.fix ? html`<div class="config-fix">Fix: ${p.fix}</div>` : null}
        </li>`)}
      </ul>
    </div>
  </div>`;
}

function SavedBanner({ saved, onDismiss }) {
  const reload = saved.reload ?? {};
  const live = saved.changes.filter((c) => !c.restart).map((c) => c.keyPath);
  const restart = saved.restart ?? saved.changes.filter((c) => c.restart).map((c) => c.keyPath);
  return html`<div class=${`banner ${reload.ok === false ? "warn" : "info"} config-saved`} role="status">
    <div>
      <strong>Saved.</strong>
      ${reload.ok === false
        ? html` But the gateway could not reload it: ${reload.error}`
        : html` The gateway reloaded pincer.yaml.${live.length ? html` In force now: ${live.map((k, i) => html`${i ? ", " : " "}<code>${k}</code>`)}.` : ""}`}
      ${restart.length ? html`<div>Waiting for a restart of the gateway: ${restart.map((k, i) => html`${i ? ", " : ""}<code>${k}</code>`)}.</div>` : null}
      ${saved.changes.length === 0 ? html` No setting changed (comments or layout only).` : null}
    </div>
    <button type="button" class="small ghost" aria-label="Dismiss" onClick=${onDismiss}>✕</button>
  </div>`;
}

function SaveErrorBanner({ error, onReload, onDismiss }) {
  if (error.status === 409) {
    return html`<div class="banner error" role="alert"><span>${error.message}</span>
      <button type="button" class="small" onClick=${onReload}>Load the file again (drops your edits)</button></div>`;
  }
  return html`<${ErrorBanner} error=${error} onDismiss=${onDismiss} />`;
}

/** What saving would change: the settings (and whether each needs a restart), then the text diff. */
function Review({ before, after, changes, busy, onSave, onBack }) {
  const hunks = useMemo(() => diffHunks(diffLines(before, after)), [before, after]);
  const restart = changes.filter((c) => c.restart);
  return html`<div class="card config-review" aria-label="Review the edit">
    <h2 class="config-review-title">Review</h2>
    ${changes.length === 0
      ? html`<p class="muted">No setting changes: only comments or layout differ.</p>`
      : html`<ul class="config-changes">
          ${changes.map((c) => html`<li key=${c.keyPath}>
            <code class="config-keypath">${c.keyPath}</code>
            <span class="config-value old">${show(c.before)}</span> → <span class="config-value new">${show(c.after)}</span>
            ${c.restart ? html`<span class="badge warn">needs a restart</span>` : html`<span class="badge ok">applies at once</span>`}
          </li>`)}
        </ul>`}
    ${restart.length ? html`<p class="config-restart-note">${restart.length === 1 ? "One change takes" : `${restart.length} changes take`} effect only after the gateway restarts (<code>pincer gateway</code>, or the service).</p>` : null}
    <h3 class="config-review-sub">pincer.yaml</h3>
    <${DiffView} hunks=${hunks} />
    <div class="config-actions">
      <button type="button" class="primary" onClick=${onSave} disabled=${busy}>${busy ? "Saving…" : "Save and reload"}</button>
      <button type="button" onClick=${onBack} disabled=${busy}>Back to editing</button>
    </div>
  </div>`;
}

const show = (v) => (v === null || v === undefined ? "(not set)" : typeof v === "string" ? v : JSON.stringify(v));

function DiffView({ hunks }) {
  if (hunks.length === 0) return html`<p class="muted">The text is unchanged.</p>`;
  return html`<div class="diff" role="table" aria-label="Changes to pincer.yaml">
    ${hunks.map((h, i) => html`<div key=${i} class="diff-hunk">
      ${h.lines.map((l, j) => html`<div key=${j} class=${`diff-line ${l.op === "+" ? "add" : l.op === "-" ? "del" : ""}`} role="row">
        <span class="diff-num" role="cell">${l.a ?? ""}</span><span class="diff-num" role="cell">${l.b ?? ""}</span>
        <span class="diff-op" role="cell">${l.op}</span><span class="diff-text" role="cell">${l.text}</span>
      </div>`)}
    </div>`)}
  </div>`;
}

/** A plain textarea with a line-number gutter; problem lines are marked. `handle.current.jumpTo(line)` selects a line. */
function LineEditor({ value, onInput, problemLines, onSaveKey, handle }) {
  const area = useRef();
  const gutter = useRef();
  const count = value.split("\n").length;
  const marks = [...problemLines].join(",");
  const numbers = useMemo(
    () => Array.from({ length: count }, (_, i) => html`<div key=${i} class=${problemLines.has(i + 1) ? "bad" : ""}>${i + 1}</div>`),
    [count, marks],
  );
  useEffect(() => {
    if (!handle) return;
    handle.current = {
      jumpTo(line) {
        const el = area.current;
        const lines = el.value.split("\n");
        const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
        el.focus();
        el.setSelectionRange(start, start + (lines[line - 1]?.length ?? 0));
        const lineHeight = parseFloat(getComputedStyle(el).lineHeight) || 20;
        el.scrollTop = Math.max(0, (line - 4) * lineHeight);
      },
    };
  });
  const sync = () => {
    if (gutter.current) gutter.current.scrollTop = area.current.scrollTop;
  };
  useEffect(sync, [value]);
  const onKeyDown = (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "s") {
      e.preventDefault();
      onSaveKey();
    }
  };
  return html`<div class="line-editor">
    <div class="line-gutter" ref=${gutter} aria-hidden="true">${numbers}</div>
    <textarea ref=${area} aria-label="pincer.yaml" spellcheck="false" autocapitalize="off" autocomplete="off" wrap="off"
      value=${value} onInput=${(e) => onInput(e.currentTarget.value)} onScroll=${sync} onKeyDown=${onKeyDown}></textarea>
  </div>`;
}
