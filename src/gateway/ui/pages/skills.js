// The Skills page: every skill one agent has, as its turns see them (GET /skills?agent=), filtered by status and
// text; a row expands to the skill's details (GET /skills/:name): requirements, warnings, scan findings, grants with
// Grant/Revoke per declared binary and env var, install origin, Update and Remove for installed skills, and SKILL.md as
// sanitized Markdown. Below, the registry: search and install (pages/skills-registry.js). Everything shown is text.
import { html, loadStylesheet, useEffect, useState } from "../lib/html.js";
import { api, seg } from "../lib/api.js";
import { Badge, ErrorBanner, Fields, Markdown, Spinner, Table, TextFilter, confirmDialog } from "../lib/components.js";
import { formatRelative, formatTime } from "../lib/format.js";
import { RegistrySection } from "./skills-registry.js";

loadStylesheet("/ui/pages/skills.css");

const STATUSES = [["", "Any status"], ["eligible", "Eligible"], ["unavailable", "Unavailable"], ["blocked", "Blocked"], ["shadowed", "Shadowed"], ["disabled", "Disabled"]];
const STATUS_TONE = { eligible: "ok", unavailable: "warn", blocked: "error", shadowed: "neutral", disabled: "neutral" };
const VERDICT = { ok: ["ok", "clean"], warn: ["warn", "warnings"], block: ["error", "blocked"] };
const SEVERITY_TONE = { block: "error", warn: "warn", info: "info" };
const SOURCE_TEXT = { workspace: "workspace", "workspace-agents": "workspace (.agents)", managed: "installed", extra: "extra dir", bundled: "bundled" };

export default function Page({ route, navigate }) {
  const query = route.query;
  const agent = query.get("agent") ?? "";
  const status = query.get("status") ?? "";
  const text = query.get("q") ?? "";
  const [data, setData] = useState(undefined);
  const [error, setError] = useState(undefined);
  const [tick, setTick] = useState(0);
  const [open, setOpen] = useState(() => new Set());
  const [notice, setNotice] = useState(undefined); // { tone, text } after an action

  useEffect(() => {
    let live = true;
    api.get(`/skills${agent ? `?agent=${encodeURIComponent(agent)}` : ""}`).then(
      (res) => {
        if (!live) return;
        setData(res);
        setError(undefined);
      },
      (err) => live && setError(err),
    );
    return () => (live = false);
  }, [agent, tick]);

  const refresh = () => setTick((n) => n + 1);
  const setFilter = (key, value) => {
    const params = new URLSearchParams(query);
    if (value) params.set(key, value);
    else params.delete(key);
    const qs = params.toString();
    navigate(`skills${qs ? `?${qs}` : ""}`, { replace: true });
  };
  /** Runs an action; its outcome (or error) becomes the notice, then the list reloads. */
  const act = async (fn) => {
    try {
      const outcome = await fn();
      if (outcome) setNotice(outcome);
    } catch (err) {
      setNotice({ tone: "error", text: err.message });
    }
    refresh();
  };

  if (!data) {
    return html`<section class="page skills-page">
      ${error ? html`<${ErrorBanner} error=${error} onRetry=${refresh} />` : html`<div class="page-loading"><${Spinner} label="Loading skills…" /></div>`}
    </section>`;
  }
  const needle = text.toLowerCase();
  const rows = data.skills.filter((s) => (!status || s.status === status) && (!needle || `${s.name} ${s.description ?? ""}`.toLowerCase().includes(needle)));
  const eligible = data.skills.filter((s) => s.status === "eligible").length;
  const toggle = (row) => setOpen((o) => {
    const next = new Set(o);
    if (next.has(row.dir)) next.delete(row.dir);
    else next.add(row.dir);
    return next;
  });
  const columns = [
    { key: "name", label: "Skill", render: (s) => html`<span class="skill-name">${s.name}</span>${s.description ? html`<span class="skill-desc" title=${s.description}>${s.description}</span>` : null}` },
    { key: "source", label: "Source", render: (s) => SOURCE_TEXT[s.source] ?? s.source },
    { key: "status", label: "Status", render: (s) => html`<${SkillStatus} skill=${s} />` },
    { key: "scan", label: "Scan", value: (s) => s.scan?.verdict, render: (s) => html`<${ScanVerdict} scan=${s.scan} />` },
    { key: "grants", label: "Grants", sortable: false, render: (s) => grantsText(s.grants) },
  ];

  return html`<section class="page skills-page">
    <form class="filters" role="search" aria-label="Filter the skills" onSubmit=${(e) => e.preventDefault()}>
      ${data.agents.length > 1 ? html`<label>Agent
        <select name="agent" value=${data.agent} onChange=${(e) => setFilter("agent", e.currentTarget.value)}>
          ${data.agents.map((a) => html`<option key=${a} value=${a}>${a}</option>`)}
        </select>
      </label>` : null}
      <label>Status
        <select name="status" value=${status} onChange=${(e) => setFilter("status", e.currentTarget.value)}>
          ${STATUSES.map(([value, label]) => html`<option key=${value} value=${value}>${label}</option>`)}
        </select>
      </label>
      <${TextFilter} label="Filter" name="q" placeholder="name or description" value=${text} onCommit=${(v) => setFilter("q", v)} />
      <button type="button" class="small skills-refresh" onClick=${refresh}>Refresh</button>
    </form>
    ${error ? html`<${ErrorBanner} error=${`Could not refresh: ${error.message}`} onRetry=${refresh} />` : null}
    ${data.problems.map((p) => html`<div class="banner warn" key=${p}><span>${p}</span></div>`)}
    ${notice ? html`<div class=${`banner ${notice.tone} skills-notice`} role="status"><span>${notice.text}</span>
      <button type="button" class="small ghost" aria-label="Dismiss" onClick=${() => setNotice(undefined)}>✕</button></div>` : null}
    <p class="muted skills-summary">${eligible} of ${data.skills.length} skill${data.skills.length === 1 ? "" : "s"} offered to agent <strong>${data.agent}</strong>.</p>
    <div class="skills-table">
      <${Table} caption="Skills" columns=${columns} rows=${rows} rowKey=${(s) => s.dir} onRowClick=${toggle}
        expanded=${(s) => (open.has(s.dir) ? html`<${SkillDetail} skill=${s} agent=${data.agent} act=${act} />` : null)}
        empty=${data.skills.length === 0 ? "No skills yet. Write one at <workspace>/skills/<name>/SKILL.md, or install one from the registry below." : "No skills match these filters."} />
    </div>
    <${RegistrySection} skills=${data.skills} onInstalled=${refresh} />
  </section>`;
}

function SkillStatus({ skill: s }) {
  return html`<span class="skill-status">
    <span class=${`pill ${STATUS_TONE[s.status] ?? "neutral"}`} data-status=${s.status}>${s.status}</span>
    ${s.reason ? html`<span class="skill-reason" title=${s.reason}>${s.reason}</span>` : null}
  </span>`;
}

function ScanVerdict({ scan }) {
  if (!scan) return html`<span class="muted">not scanned</span>`;
  const [tone, word] = VERDICT[scan.verdict] ?? ["neutral", scan.verdict];
  const count = scan.findings.length;
  return html`<span data-verdict=${scan.verdict}><${Badge} tone=${tone}>${word}<//>${count > 0 ? html` <span class="muted">${count} finding${count === 1 ? "" : "s"}</span>` : null}</span>`;
}

const grantsText = (g) => (g && g.bins.length + g.env.length > 0 ? [...g.bins.map((b) => `bin ${b}`), ...g.env.map((e) => `env ${e}`)].join(", ") : "—");

function requiresText(r) {
  if (!r) return "";
  const parts = [...r.bins.map((b) => `binary ${b}`), ...(r.anyBins.length ? [`one of ${r.anyBins.join(" | ")}`] : []), ...r.env.map((e) => `env ${e}`),
    ...r.config.map((c) => `config ${c}`), ...(r.os.length ? [`os ${r.os.join(" | ")}`] : []), ...(r.primaryEnv && !r.env.includes(r.primaryEnv) ? [`env ${r.primaryEnv} (main credential)`] : [])];
  return `${parts.join(", ") || "nothing"}${r.always ? " (always offered)" : ""}`;
}

/** One skill's details; the winner of its name loads its frontmatter and SKILL.md body too. */
function SkillDetail({ skill: s, agent, act }) {
  const [more, setMore] = useState(undefined);
  const [error, setError] = useState(undefined);
  useEffect(() => {
    if (s.status === "shadowed") return undefined;
    let live = true;
    api.get(`/skills/${seg(s.name)}?agent=${encodeURIComponent(agent)}`).then((res) => live && setMore(res.skill), (err) => live && setError(err));
    return () => (live = false);
  }, [s.name, s.dir, agent]);
  const findings = s.scan?.findings ?? [];
  const m = more?.manifest;
  return html`<div class="skill-detail" data-skill=${s.name}>
    <${Fields} class="skill-fields" items=${[
      ["Description", s.description ?? ""],
      ["Source", SOURCE_TEXT[s.source] ?? s.source],
      ["Location", html`<code class="skill-dir">${s.dir}</code>`],
      ["Status", s.reason ? `${s.status}: ${s.reason}` : s.status],
      ["Shadows", s.shadows.map((x) => `${SOURCE_TEXT[x.source] ?? x.source} ${x.dir}`).join("; ")],
      ["Requires", requiresText(s.requires)],
      ["Grants", grantsText(s.grants)],
      ["Scan", s.scan ? `${s.scan.verdict} (${s.scan.files} file${s.scan.files === 1 ? "" : "s"}, ${s.scan.bytes} bytes)` : ""],
      ["License", m?.license ?? ""],
      ["Homepage", m?.homepage ?? ""],
      ["Allowed tools", m?.allowedTools?.join(" ") ?? ""],
    ]} />
    ${s.install ? html`<${InstallOrigin} skill=${s} />` : null}
    ${s.warnings.length > 0 ? html`<h4>Manifest warnings</h4>
      <ul class="skill-list">${s.warnings.map((w, i) => html`<li key=${i}><code>${w.key}</code> ${w.message}</li>`)}</ul>` : null}
    ${findings.length > 0 ? html`<h4>Scan findings</h4>
      <ul class="skill-list skill-findings">${findings.map((f, i) => html`<li key=${i} data-severity=${f.severity}>
        <${Badge} tone=${SEVERITY_TONE[f.severity] ?? "neutral"}>${f.severity}<//> <code>${f.code}</code>
        <code class="skill-where">${f.file}${f.line ? `:${f.line}` : ""}</code> <span>${f.message}</span></li>`)}</ul>` : null}
    <${GrantsPanel} skill=${s} act=${act} />
    <${ManageButtons} skill=${s} act=${act} />
    ${error ? html`<${ErrorBanner} error=${`Could not load SKILL.md: ${error.message}`} />` : null}
    ${more?.body ? html`<details class="skill-body"><summary>SKILL.md instructions</summary><${Markdown} text=${more.body} /></details>` : null}
  </div>`;
}

function InstallOrigin({ skill: s }) {
  const i = s.install;
  const at = Date.parse(i.installedAt);
  return html`<p class="skill-origin">Installed <strong>${i.slug} ${i.version}</strong> from <code>${i.registry}</code>
    <time title=${formatTime(at)}> ${formatRelative(at)}</time> · sha256 <code title=${i.sha256}>${i.sha256.slice(0, 12)}…</code>
    ${s.edited ? html` <${Badge} tone="warn" title="The files differ from those installed: an update refuses unless you overwrite the edits">edited since install<//>` : null}</p>`;
}

/** Grant or revoke each binary and env var the skill declares (installed skills only: grants live beside installs). */
function GrantsPanel({ skill: s, act }) {
  const items = [...s.declared.bins.map((name) => ({ kind: "bin", name })), ...s.declared.env.map((name) => ({ kind: "env", name }))];
  if (items.length === 0) return null;
  const granted = (it) => (it.kind === "bin" ? s.grants?.bins : s.grants?.env)?.includes(it.name) ?? false;
  const change = (it, grant) => async () => {
    const what = it.kind === "bin"
      ? `${s.name} may then run ${it.name} with exec: it joins the allowed programs for this skill (policy.exec.blocked_bins still wins).`
      : `${it.name} is then passed from the gateway's environment to ${s.name}'s own commands (its scripts and granted binaries), never to other commands.`;
    const ok = await confirmDialog({
      title: `${grant ? "Grant" : "Revoke"} ${it.kind === "bin" ? "binary" : "env var"} ${it.name}?`,
      message: grant ? what : `${s.name} will no longer get ${it.name}.`,
      confirmLabel: grant ? "Grant" : "Revoke", danger: !grant,
    });
    if (!ok) return;
    const body = it.kind === "bin" ? { bins: [it.name] } : { env: [it.name] };
    await act(async () => {
      await api.post(`/skills/${seg(s.name)}/${grant ? "grant" : "revoke"}`, body);
      return { tone: "info", text: `${grant ? "Granted" : "Revoked"} ${it.kind} ${it.name} ${grant ? "to" : "from"} ${s.name}.` };
    });
  };
  return html`<h4>Grants</h4>
    ${s.managed ? null : html`<p class="muted">Grants are given to installed skills. This ${SOURCE_TEXT[s.source] ?? s.source} skill declares these; grant them with 'pincer skills grant' once it is installed.</p>`}
    <ul class="skill-list skill-grants">${items.map((it) => html`<li key=${`${it.kind}:${it.name}`} data-grant=${`${it.kind}:${it.name}`}>
      <code>${it.kind} ${it.name}</code> ${granted(it) ? html`<${Badge} tone="ok">granted<//>` : html`<span class="muted">not granted</span>`}
      ${s.managed ? html` <button type="button" class="small" onClick=${change(it, !granted(it))} aria-label=${`${granted(it) ? "Revoke" : "Grant"} ${it.kind} ${it.name}`}>${granted(it) ? "Revoke" : "Grant"}</button>` : null}
    </li>`)}</ul>`;
}

function ManageButtons({ skill: s, act }) {
  if (!s.managed || s.status === "shadowed") {
    const where = s.status === "shadowed" ? "a shadowed copy" : `a ${SOURCE_TEXT[s.source] ?? s.source} skill`;
    return html`<p class="muted skill-manage-note">Update and Remove are for skills installed from a registry; this is ${where}. ${s.source === "bundled" ? "It ships with Pincer (skills.bundled: false turns bundled skills off)." : `To remove it, delete its folder ${s.dir}.`}</p>`;
  }
  const update = async () => {
    if (!(await confirmDialog({ title: `Update ${s.name}?`, message: `Asks ${s.install?.registry ?? "the registry"} for a newer version; it is checked and scanned like an install. Grants are kept.`, confirmLabel: "Update" }))) return;
    await act(async () => {
      let res;
      try {
        res = await api.post(`/skills/${seg(s.name)}/update`, {});
      } catch (err) {
        if (err.type !== "local_edits") throw err;
        if (!(await confirmDialog({ title: "Overwrite local edits?", message: err.message, confirmLabel: "Overwrite and update", danger: true }))) return undefined;
        res = await api.post(`/skills/${seg(s.name)}/update`, { force: true });
      }
      const u = res.update;
      const extra = u.ungranted && u.ungranted.bins.length + u.ungranted.env.length > 0 ? ` The new version also declares ${[...u.ungranted.bins, ...u.ungranted.env].join(", ")} (not granted).` : "";
      return { tone: "info", text: u.status === "updated" ? `Updated ${u.name} from ${u.from} to ${u.to}.${extra}` : u.status === "up-to-date" ? `${u.name} is up to date (${u.from}).` : `${u.name} was skipped: ${u.note ?? ""}` };
    });
  };
  const remove = async () => {
    if (!(await confirmDialog({ title: `Remove ${s.name}?`, message: `Deletes ${s.dir} and its grants. The agent can no longer use it.`, confirmLabel: "Remove", danger: true }))) return;
    await act(async () => {
      await api.del(`/skills/${seg(s.name)}`);
      return { tone: "info", text: `Removed ${s.name}.` };
    });
  };
  return html`<div class="skill-actions">
    ${s.install ? html`<button type="button" class="small" onClick=${update}>Update</button>` : null}
    <button type="button" class="small danger" onClick=${remove}>Remove</button>
  </div>`;
}
