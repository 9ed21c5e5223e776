// The Logs page: the gateway log's newest lines, then a live tail of new ones, filtered by level and text. Pause and
// resume; the view follows the bottom unless the reader scrolled up; at most MAX_LINES lines are kept.
// Data: GET /logs (the tail) and GET /logs/stream (server-sent events). Log lines are shown as text, never as markup.
import { html, loadStylesheet, useEffect, useLayoutEffect, useRef, useState } from "../lib/html.js";
import { ApiError, api, followEvents } from "../lib/api.js";
import { ErrorBanner, Spinner } from "../lib/components.js";

loadStylesheet("/ui/pages/logs.css");

/** Lines kept in the page; older ones are dropped as new ones arrive. */
export const MAX_LINES = 1000;
const TAIL_LINES = 200;
const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"];
const SEARCH_DEBOUNCE_MS = 300;
const RETRY_MS = [1_000, 2_000, 5_000, 10_000];

let nextKey = 1;
const withKey = (line) => ({ ...line, key: nextKey++ });
const identity = (l) => `${l.time}|${l.level}|${l.msg}|${JSON.stringify(l.fields)}`;

export default function Page({ route, navigate }) {
  const level = LEVELS.includes(route.query.get("level")) ? route.query.get("level") : "info";
  const q = route.query.get("q") ?? "";
  const [search, setSearch] = useState(q);
  const [lines, setLines] = useState(undefined); // undefined while the tail loads
  const [firstKey, setFirstKey] = useState(0); // key of the first line of the tail: lines before it were never shown
  const [stream, setStream] = useState("connecting"); // connecting | live | reconnecting | stopped
  const [error, setError] = useState(undefined); // the tail could not be read, or the stream was refused
  const [streamError, setStreamError] = useState(undefined); // the live tail broke off and is being retried
  const [paused, setPaused] = useState(false);
  const [held, setHeld] = useState([]); // lines that arrived while paused
  const [dropped, setDropped] = useState(0);
  const pausedRef = useRef(false);
  pausedRef.current = paused;

  const setFilter = (change) => {
    const next = { level, q, ...change };
    const params = new URLSearchParams();
    if (next.level !== "info") params.set("level", next.level);
    if (next.q) params.set("q", next.q);
    const query = params.toString();
    navigate(query ? `logs?${query}` : "logs", { replace: true });
  };

  // The address changed (back, a bookmark): the box shows its search.
  useEffect(() => {
    if (q !== search.trim()) setSearch(q);
  }, [q]);

  // The search box applies after a short pause in typing.
  useEffect(() => {
    if (search === q) return undefined;
    const timer = setTimeout(() => setFilter({ q: search.trim() }), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [search]);

  const append = (incoming) => {
    if (incoming.length === 0) return;
    setLines((old) => {
      const all = [...(old ?? []), ...incoming];
      return all.length <= MAX_LINES ? all : all.slice(all.length - MAX_LINES);
    });
  };

  useEffect(() => {
    const abort = new AbortController();
    const filter = new URLSearchParams({ level, ...(q ? { q } : {}) }).toString();
    setLines(undefined);
    setHeld([]);
    setDropped(0);
    setError(undefined);
    setStreamError(undefined);
    let attempt = 0;
    let first = true;

    const deliver = (fresh) => {
      if (pausedRef.current) setHeld((h) => [...h, ...fresh].slice(-MAX_LINES));
      else append(fresh);
    };

    const run = async () => {
      while (!abort.signal.aborted) {
        setStream(first ? "connecting" : "reconnecting");
        // Lines streamed before the tail arrives wait, so none is lost or shown twice.
        let early = [];
        let tailDone = false;
        try {
          await followEvents(`/logs/stream?${filter}`, {
            signal: abort.signal,
            onEvent: (event, data) => {
              if (event === "ready") {
                attempt = 0;
                setStream("live");
                setStreamError(undefined);
                // The tail once per filter; after a reconnect only new lines follow (some may have been missed).
                if (!first) return void (tailDone = true);
                first = false;
                api.get(`/logs?${filter}&limit=${TAIL_LINES}`).then(
                  (tail) => {
                    if (abort.signal.aborted) return;
                    const seen = new Set(tail.data.map(identity));
                    const shown = tail.data.map(withKey);
                    setFirstKey(shown[0]?.key ?? nextKey);
                    setLines(shown);
                    append(early.filter((l) => !seen.has(identity(l))));
                    tailDone = true;
                    early = [];
                  },
                  (err) => {
                    if (abort.signal.aborted) return;
                    setError(err);
                    setLines(early);
                    tailDone = true;
                    early = [];
                  },
                );
              } else if (event === "log" && data && typeof data === "object") {
                const line = withKey(data);
                if (!tailDone) early.push(line);
                else deliver([line]);
              } else if (event === "dropped" && typeof data?.lines === "number") {
                setDropped((n) => n + data.lines);
              }
            },
          });
          if (abort.signal.aborted) return;
        } catch (err) {
          if (abort.signal.aborted) return;
          // A refused request (bad filter, no log file) will not get better by retrying.
          if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 429) {
            setError(err);
            setStream("stopped");
            setLines((l) => l ?? []);
            return;
          }
          setStreamError(err);
        }
        setStream("reconnecting");
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)]));
      }
    };
    void run();
    return () => abort.abort();
  }, [level, q]);

  const resume = () => {
    setPaused(false);
    append(held);
    setHeld([]);
  };

  return html`
    <section class="page logs-page">
      <div class="logs-toolbar">
        <label class="inline-field">Level
          <select value=${level} onChange=${(e) => setFilter({ level: e.currentTarget.value })}>
            ${LEVELS.map((l) => html`<option key=${l} value=${l}>${l} and above</option>`)}
          </select>
        </label>
        <label class="logs-search"><span class="sr-only">Search the log</span>
          <input type="search" placeholder="Search the log" value=${search} maxlength="200"
            onInput=${(e) => setSearch(e.currentTarget.value)} />
        </label>
        ${paused
          ? html`<button type="button" class="primary small" onClick=${resume}>Resume${held.length ? ` (${held.length} new)` : ""}</button>`
          : html`<button type="button" class="small" onClick=${() => setPaused(true)}>Pause</button>`}
        <${StreamState} state=${paused ? "paused" : stream} />
      </div>
      ${error ? html`<${ErrorBanner} error=${error} />` : null}
      ${streamError && !error ? html`<div class="banner warn" role="status"><span>The live log stopped (${streamError.message}); trying again…</span></div>` : null}
      ${dropped > 0 ? html`<div class="banner warn" role="status"><span>${dropped} lines were skipped because they came faster than this page could take them.</span></div>` : null}
      ${lines === undefined ? html`<div class="page-loading"><${Spinner} label="Loading the log…" /></div>` : html`<${LogView} lines=${lines} trimmed=${lines.length > 0 && lines[0].key > firstKey && lines.length >= MAX_LINES} filtered=${Boolean(q) || level !== "info"} />`}
    </section>`;
}

const STREAM_TEXT = { connecting: "connecting…", live: "live", reconnecting: "reconnecting…", stopped: "stopped", paused: "paused" };

function StreamState({ state }) {
  return html`<span class="conn logs-state" data-state=${state === "live" ? "open" : state === "paused" || state === "stopped" ? "idle" : "reconnecting"} role="status">${STREAM_TEXT[state]}</span>`;
}

/** The scrolling list: sticks to the bottom while the reader is there, stays put when they scrolled up. */
function LogView({ lines, trimmed, filtered }) {
  const box = useRef();
  const [following, setFollowing] = useState(true);
  const followingRef = useRef(true);
  useLayoutEffect(() => {
    if (followingRef.current && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines]);
  const onScroll = () => {
    const el = box.current;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
    if (atBottom !== followingRef.current) {
      followingRef.current = atBottom;
      setFollowing(atBottom);
    }
  };
  const jump = () => {
    followingRef.current = true;
    setFollowing(true);
    box.current.scrollTop = box.current.scrollHeight;
  };
  return html`
    <div class="logs-wrap">
      <div class="logs" ref=${box} onScroll=${onScroll} role="log" aria-live="off" aria-label="Gateway log" tabindex="0">
        ${trimmed ? html`<p class="logs-note">Older lines were dropped; this page keeps the newest ${MAX_LINES}. <code>pincer logs</code> shows them all.</p>` : null}
        ${lines.length === 0 ? html`<p class="logs-note">${filtered ? "No lines match this filter yet." : "The log is empty."} New lines appear here as they are written.</p>` : null}
        ${lines.map((l) => html`<${LogLine} key=${l.key} line=${l} />`)}
      </div>
      ${following ? null : html`<button type="button" class="small logs-jump" onClick=${jump}>↓ Latest</button>`}
    </div>`;
}

function LogLine({ line }) {
  const fields = Object.entries(line.fields ?? {});
  return html`<div class=${`log-line lvl-${line.level}`} data-level=${line.level}>
    <time class="log-time" title=${line.time ? new Date(line.time).toISOString() : ""}>${formatLogTime(line.time)}</time>
    <span class="log-level">${line.level}</span>
    ${line.component ? html`<span class="log-component">${line.component}</span>` : null}
    <span class="log-msg">${line.msg}</span>
    ${fields.map(([k, v]) => html`<${Field} key=${k} name=${k} value=${v} />`)}
  </div>`;
}

/** One extra field as `name=value`; an error's stack folds away under its message. */
function Field({ name, value }) {
  if (value && typeof value === "object" && typeof value.stack === "string") {
    const head = `${value.type ?? value.name ?? "Error"}: ${value.message ?? ""}`;
    return html`<span class="log-field"><span class="log-key">${name}=</span>${head}<details class="log-stack"><summary>stack</summary><pre>${value.stack}</pre></details></span>`;
  }
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return html`<span class="log-field"><span class="log-key">${name}=</span>${text}</span>`;
}

/** Today's lines show the time with milliseconds; older ones their date too. */
function formatLogTime(ms) {
  if (!ms) return "";
  const d = new Date(ms);
  const time = d.toLocaleTimeString(undefined, { hour12: false, hour: "2-digit", minute: "2-digit", second: "2-digit" }) + `.${String(d.getMilliseconds()).padStart(3, "0")}`;
  return d.toDateString() === new Date().toDateString() ? time : `${d.toLocaleDateString(undefined, { month: "short", day: "numeric" })} ${time}`;
}
