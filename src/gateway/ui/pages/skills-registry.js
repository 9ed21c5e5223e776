// The Skills page's registry section: search the configured registry (GET /skills/registry/search), then install a
// result through a dialog that first shows what the registry says of it — version, owner, moderation flags
// (GET /skills/registry/skills/:slug) — with the options to grant what it declares and to force a suspicious one.
// The outcome, or the refusal with its reasons and scan findings, is shown under the search. Everything is text.
import { html, useEffect, useState } from "../lib/html.js";
import { api, seg } from "../lib/api.js";
import { Badge, ErrorBanner, Modal, Spinner, Table } from "../lib/components.js";

export function RegistrySection({ skills, onInstalled }) {
  const [q, setQ] = useState("");
  const [search, setSearch] = useState(undefined); // { loading, error, registry, results, q }
  const [installing, setInstalling] = useState(undefined); // a search result whose dialog is open
  const [outcome, setOutcome] = useState(undefined); // { tone, title, text }

  const run = async (e) => {
    e.preventDefault();
    const text = q.trim();
    if (!text) return;
    setSearch({ loading: true, q: text, results: search?.results ?? [] });
    try {
      const res = await api.get(`/skills/registry/search?q=${encodeURIComponent(text)}&limit=20`);
      setSearch({ loading: false, q: text, registry: res.registry, results: res.results });
    } catch (err) {
      setSearch({ loading: false, q: text, error: err, results: [] });
    }
  };
  const installedSlugs = new Set(skills.filter((s) => s.install).map((s) => s.install.slug));
  const columns = [
    { key: "displayName", label: "Skill", render: (r) => html`<span class="skill-name">${r.displayName}</span><code class="skill-slug">${r.slug}</code>` },
    { key: "summary", label: "Summary", sortable: false, render: (r) => html`<span class="skill-summary">${r.summary ?? ""}</span>` },
    { key: "version", label: "Version", render: (r) => r.version ?? "" },
    { key: "owner", label: "Owner", render: (r) => r.owner ?? "" },
    {
      key: "actions", label: "", sortable: false,
      render: (r) => installedSlugs.has(r.slug)
        ? html`<${Badge} tone="ok">installed<//>`
        : html`<button type="button" class="small primary" onClick=${() => setInstalling(r)} aria-label=${`Install ${r.slug}`}>Install…</button>`,
    },
  ];
  return html`<div class="skills-registry">
    <h2 class="skills-section">Registry</h2>
    <form class="skills-search" role="search" aria-label="Search the registry" onSubmit=${run}>
      <input type="search" aria-label="Search the registry" placeholder="weather, github, calendar…" value=${q} onInput=${(e) => setQ(e.currentTarget.value)} spellcheck=${false} autocapitalize="off" />
      <button type="submit" disabled=${search?.loading}>Search</button>
    </form>
    ${outcome ? html`<div class=${`banner ${outcome.tone} skills-outcome`} role="status">
      <div><strong>${outcome.title}</strong>${outcome.text ? html`<pre class="skills-outcome-text">${outcome.text}</pre>` : null}</div>
      <button type="button" class="small ghost" aria-label="Dismiss" onClick=${() => setOutcome(undefined)}>✕</button></div>` : null}
    ${search?.error ? html`<${ErrorBanner} error=${search.error} />` : null}
    ${search?.loading ? html`<div class="page-loading"><${Spinner} label="Searching…" /></div>` : null}
    ${search && !search.loading && !search.error
      ? html`<p class="muted small-note">Results from <code>${search.registry}</code> for “${search.q}”.</p>
        <${Table} caption="Registry results" columns=${columns} rows=${search.results} rowKey=${(r) => r.slug} empty=${`No skills match “${search.q}”.`} />`
      : null}
    ${search ? null : html`<p class="muted small-note">Skills from the configured registry (skills.registry) are downloaded, checked and scanned before they are installed into the managed skills folder.</p>`}
    ${installing ? html`<${InstallDialog} result=${installing} onClose=${() => setInstalling(undefined)}
      onDone=${(o) => {
        setInstalling(undefined);
        setOutcome(o);
        if (o.tone !== "error") onInstalled();
      }} />` : null}
  </div>`;
}

/** Shows the registry's view of one skill, then installs it with the chosen options. */
function InstallDialog({ result, onClose, onDone }) {
  const [detail, setDetail] = useState(undefined);
  const [error, setError] = useState(undefined);
  const [grant, setGrant] = useState(false);
  const [force, setForce] = useState(false);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    let live = true;
    api.get(`/skills/registry/skills/${seg(result.slug)}`).then((res) => live && setDetail(res.skill), (err) => live && setError(err));
    return () => (live = false);
  }, [result.slug]);
  const m = detail?.moderation;
  const malicious = Boolean(m && (m.isMalwareBlocked || m.verdict === "malicious"));
  const suspicious = Boolean(m && !malicious && (m.isSuspicious || m.verdict === "suspicious"));
  const install = async () => {
    setBusy(true);
    try {
      const res = await api.post("/skills/install", { slug: result.slug, grant, force: suspicious && force });
      onDone(describeInstall(res.installed));
    } catch (err) {
      onDone({ tone: "error", title: `${result.slug} was not installed`, text: err.message });
    }
  };
  const actions = html`
    <button type="button" class="ghost" onClick=${onClose}>Cancel</button>
    <button type="button" class="primary" disabled=${busy || !detail || malicious || (suspicious && !force)} onClick=${install}>${busy ? "Installing…" : "Install"}</button>`;
  return html`<${Modal} title=${`Install ${result.displayName}`} onClose=${onClose} actions=${actions}>
    <p><code>${result.slug}</code>${detail?.latestVersion ? ` · version ${detail.latestVersion}` : ""}${detail?.owner ? ` · by ${detail.owner}` : ""}</p>
    ${result.summary ? html`<p class="muted">${result.summary}</p>` : null}
    ${error ? html`<${ErrorBanner} error=${error} />` : !detail ? html`<${Spinner} label="Asking the registry…" />` : null}
    ${m && (malicious || suspicious) ? html`<div class=${`banner ${malicious ? "error" : "warn"} skills-moderation`}>
      <div><strong>The registry flags it as ${malicious ? "malicious" : "suspicious"}.</strong>
        ${m.summary ? html`<p>${m.summary}</p>` : null}
        ${m.reasonCodes.length ? html`<p>${m.reasonCodes.map((r) => html`<${Badge} key=${r} tone=${malicious ? "error" : "warn"}>${r}<//> `)}</p>` : null}
        ${malicious ? html`<p>It cannot be installed.</p>` : null}</div></div>` : null}
    ${detail && !m ? html`<p><${Badge} tone="ok">no moderation flags<//></p>` : null}
    <label class="check"><input type="checkbox" checked=${grant} onChange=${(e) => setGrant(e.currentTarget.checked)} /> Grant what it declares (binaries and env vars its SKILL.md lists)</label>
    ${suspicious ? html`<label class="check"><input type="checkbox" checked=${force} onChange=${(e) => setForce(e.currentTarget.checked)} /> Install anyway: I have read the reasons above</label>` : null}
    <p class="muted small-note">The bundle is checked and scanned first; a blocked scan refuses the install and lists the findings.</p>
  <//>`;
}

function describeInstall(r) {
  const lines = [];
  const declared = [...r.declared.bins.map((b) => `binary ${b}`), ...r.declared.env.map((e) => `env ${e}`)];
  if (r.grant) lines.push(`Granted: ${[...r.grant.bins.map((b) => `binary ${b}`), ...r.grant.env.map((e) => `env ${e}`)].join(", ")}.`);
  else if (declared.length) lines.push(`It declares ${declared.join(", ")}: nothing granted yet (open its row above to grant).`);
  const warnings = r.scan.findings.filter((f) => f.severity !== "info");
  if (warnings.length) lines.push("The scan warns:", ...warnings.map((f) => `  ${f.severity} ${f.code} ${f.file}${f.line ? `:${f.line}` : ""}: ${f.message}`));
  return { tone: "info", title: `Installed ${r.name} ${r.install.version} from ${r.install.registry}.`, text: lines.join("\n") };
}
