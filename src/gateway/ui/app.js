// The Control UI shell: login (gateway token, or a one-time login code from `pincer dashboard`), the left navigation,
// the header with the page title and connection state, and hash routing (#/<page>/<rest>) to lazily loaded pages.
// Pages live in pages/ and are listed in pages.js; the shell knows nothing else about them.
import { html, render, useEffect, useState } from "./lib/html.js";
import { api } from "./lib/api.js";
import { clearToken, getToken, onTokenChange, setToken } from "./lib/auth.js";
import { EmptyState, ErrorBanner, Spinner } from "./lib/components.js";
import * as ws from "./lib/ws.js";
import { PAGES } from "./pages.js";

const DEFAULT_PAGE = "overview";

/** `#/chat/agent%3Adefault…?q=x` → { id: "chat", rest: "agent%3Adefault…", query }. `rest` stays percent-encoded. */
function parseRoute(hash) {
  const path = hash.replace(/^#\/?/, "");
  const [pathPart, queryPart = ""] = path.split("?", 2);
  const slash = pathPart.indexOf("/");
  const id = (slash < 0 ? pathPart : pathPart.slice(0, slash)) || DEFAULT_PAGE;
  return { id, rest: slash < 0 ? "" : pathPart.slice(slash + 1), query: new URLSearchParams(queryPart) };
}

/** Goes to `path` ("/runs/run_1", "chat"); `replace` keeps the current entry out of the history. */
export function navigate(path, opts = {}) {
  const hash = `#/${String(path).replace(/^[#/]+/, "")}`;
  if (opts.replace) {
    history.replaceState(null, "", hash);
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  } else location.hash = hash;
}

function useRoute() {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return route;
}

function useConnState() {
  const [state, setState] = useState(ws.connState());
  useEffect(() => ws.onState(setState), []);
  return state;
}

const loaded = new Map(); // page id → Promise<module>

function PageHost({ page, route }) {
  const [mod, setMod] = useState(undefined);
  const [error, setError] = useState(undefined);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let live = true;
    setMod(undefined);
    setError(undefined);
    if (!loaded.has(page.id)) loaded.set(page.id, page.load());
    loaded.get(page.id).then(
      (m) => live && setMod(() => m.default),
      (err) => {
        loaded.delete(page.id);
        if (live) setError(`The ${page.title} page could not be loaded: ${err.message}`);
      },
    );
    return () => (live = false);
  }, [page, attempt]);
  if (error) return html`<${ErrorBanner} error=${error} onRetry=${() => setAttempt((n) => n + 1)} />`;
  if (!mod) return html`<div class="page-loading"><${Spinner} /></div>`;
  const Page = mod;
  return html`<${Page} route=${route} navigate=${navigate} />`;
}

function Icon({ d }) {
  return html`<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d=${d} /></svg>`;
}

const CONN_TEXT = { open: "connected", connecting: "connecting…", reconnecting: "offline, reconnecting…", idle: "logged out" };

function ConnIndicator({ state }) {
  return html`<span id="conn" class="conn" data-state=${state} role="status" aria-live="polite">${CONN_TEXT[state] ?? state}</span>`;
}

function Shell({ onLogout }) {
  const route = useRoute();
  const conn = useConnState();
  const [navOpen, setNavOpen] = useState(false);
  const page = PAGES.find((p) => p.id === route.id);
  useEffect(() => setNavOpen(false), [route.id]);
  useEffect(() => {
    document.title = page ? `${page.title} · Pincer` : "Pincer";
  }, [page]);
  return html`
    <div class=${`shell ${navOpen ? "nav-open" : ""}`}>
      <nav class="nav" id="nav" aria-label="Pages">
        <div class="nav-head"><span class="logo" aria-hidden="true"></span><strong>Pincer</strong></div>
        <ul class="nav-list">
          ${PAGES.map((p) => html`<li key=${p.id}>
            <a href=${`#/${p.id}`} class="nav-link" aria-current=${p.id === route.id ? "page" : undefined}><${Icon} d=${p.icon} /><span>${p.title}</span></a>
          </li>`)}
        </ul>
        <div class="nav-foot">
          <${ConnIndicator} state=${conn} />
          <button type="button" class="link" onClick=${onLogout}>Log out</button>
        </div>
      </nav>
      <div class="nav-scrim" onClick=${() => setNavOpen(false)} aria-hidden="true"></div>
      <div class="main">
        <header class="header">
          <button type="button" class="ghost menu-button" aria-controls="nav" aria-expanded=${navOpen} aria-label="Menu" onClick=${() => setNavOpen(!navOpen)}>
            <${Icon} d="M4 6h16M4 12h16M4 18h16" />
          </button>
          <h1 id="page-title">${page?.title ?? "Not found"}</h1>
          <span class="header-conn"><${ConnIndicator} state=${conn} /></span>
        </header>
        <main class="content" id="content">
          ${page
            ? html`<${PageHost} key=${page.id} page=${page} route=${route} />`
            : html`<${EmptyState} title="There is no such page.">Go to the <a href="#/overview">Overview</a>.<//>`}
        </main>
      </div>
    </div>`;
}

function Login({ error, busy, onSubmit }) {
  const [token, setTokenValue] = useState("");
  const [remember, setRemember] = useState(false);
  const submit = (e) => {
    e.preventDefault();
    if (token.trim()) onSubmit(token.trim(), remember);
  };
  return html`
    <main class="login">
      <form class="card login-card" onSubmit=${submit} autocomplete="off">
        <h1><span class="logo" aria-hidden="true"></span> Pincer</h1>
        <p class="muted">Log in with the gateway token, or open the link <code>pincer dashboard</code> prints.</p>
        <label for="token">Gateway token</label>
        <input id="token" name="token" type="password" required spellcheck="false" autocapitalize="off" autofocus
          value=${token} onInput=${(e) => setTokenValue(e.currentTarget.value)} />
        <label class="check"><input type="checkbox" checked=${remember} onChange=${(e) => setRemember(e.currentTarget.checked)} /> Remember on this browser</label>
        <button type="submit" class="primary" disabled=${busy}>${busy ? "Checking…" : "Log in"}</button>
        <p id="login-error" class="error" role="alert" hidden=${!error}>${error}</p>
      </form>
    </main>`;
}

/** `#token=<t>` (first-start link) or `#login=<code>` (pincer dashboard): taken from the address, then removed. */
function takeFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get("token");
  const code = params.get("login");
  if (!token && !code) return {};
  history.replaceState(null, "", location.pathname + location.search);
  return { token: token ?? undefined, code: code ?? undefined };
}

function App({ initial }) {
  // "app" while a token is stored (connecting or connected), "login" otherwise; "checking" while a typed token or a
  // login code is being tried.
  const [view, setView] = useState(initial.view);
  const [error, setError] = useState(initial.error ?? "");
  useEffect(() => onTokenChange(({ token, reason }) => {
    if (token) return;
    ws.disconnect();
    setError(reason);
    setView("login");
  }), []);
  useEffect(() => ws.onState((state) => {
    if (state === "open") setView("app");
  }), []);
  useEffect(() => {
    if (!initial.code) return;
    api.post("/auth/exchange", { code: initial.code }).then(
      ({ token }) => {
        setToken(token, false);
        ws.connect();
      },
      (err) => {
        setError(`This login link did not work: ${err.message} Run 'pincer dashboard' for a new one, or log in with the gateway token.`);
        setView("login");
      },
    );
  }, []);
  const logIn = (token, remember) => {
    setError("");
    setView("checking");
    setToken(token, remember);
    ws.connect();
  };
  const logOut = () => clearToken("");
  if (view === "app") return html`<${Shell} onLogout=${logOut} />`;
  return html`<${Login} error=${error} busy=${view === "checking"} onSubmit=${logIn} />`;
}

const fragment = takeFragment();
if (fragment.token) setToken(fragment.token, false);
const initial = fragment.code ? { view: "checking", code: fragment.code } : getToken() ? { view: "app" } : { view: "login" };
const root = document.getElementById("root");
root.replaceChildren(); // the "Loading…" placeholder
render(html`<${App} initial=${initial} />`, root);
if (!fragment.code && getToken()) ws.connect();
