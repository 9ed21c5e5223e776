// Markdown → sanitized HTML for untrusted text (model answers, tool output): marked parses, raw HTML in the text is
// shown as text, code is highlighted by highlight.js (loaded on the first code block), and DOMPurify has the last word.
// This module and components.js's Markdown are the only places where HTML strings reach the page.
import DOMPurify from "dompurify";
import { Marked } from "marked";

/** Languages highlight.js loads (their aliases come with them: js, ts, sh, py, yml, html …). */
const LANGUAGES = ["javascript", "typescript", "json", "bash", "shell", "python", "go", "rust", "yaml", "diff", "sql", "xml", "css", "plaintext"];

/** Links to these schemes (and relative links) survive; javascript:, data: (outside images), vbscript: … do not. */
const SAFE_URL = /^(?:(?:https?|mailto):|[^a-z]|[a-z+.-]+(?:[^a-z+.\-:]|$))/i;

let hljs;
let loading;

const escapeHtml = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

const marked = new Marked({
  gfm: true,
  breaks: true,
  renderer: {
    // Raw HTML in an answer is text to show, not markup to render.
    html: ({ text }) => escapeHtml(text),
    code({ text, lang }) {
      const first = (lang ?? "").trim().split(/\s+/)[0] ?? "";
      const language = /^[\w+#-]{1,32}$/.test(first) ? first.toLowerCase() : "";
      const known = hljs && language && hljs.getLanguage(language);
      const body = known ? hljs.highlight(text, { language, ignoreIllegals: true }).value : escapeHtml(text);
      return `<pre><code class="hljs${language ? ` language-${language}` : ""}">${body}</code></pre>\n`;
    },
    // Images from elsewhere would be fetched by the browser (and the CSP blocks them): show a link instead.
    image({ href, title, text }) {
      if (/^data:image\/(?:png|jpeg|gif|webp);/i.test(href ?? "")) return `<img src="${escapeHtml(href)}" alt="${escapeHtml(text ?? "")}">`;
      return `<a href="${escapeHtml(href ?? "")}"${title ? ` title="${escapeHtml(title)}"` : ""}>🖼 ${escapeHtml(text || "image")}</a>`;
    },
  },
});

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    if (node.hasAttribute("href")) {
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer");
    }
  } else if (node.tagName === "IMG" && !/^data:image\//i.test(node.getAttribute("src") ?? "")) {
    node.removeAttribute("src");
  }
});

const PURIFY = {
  USE_PROFILES: { html: true },
  FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select", "option", "iframe", "frame", "object", "embed", "link", "meta", "base"],
  FORBID_ATTR: ["style", "id", "name"],
  ALLOWED_URI_REGEXP: SAFE_URL,
};

/** Sanitized HTML for Markdown `text`. Contract: the result holds no script, event handler, javascript: or data: link,
 * style, form or frame, whatever `text` contains. */
export function renderMarkdown(text) {
  const raw = marked.parse(text ?? "", { async: false });
  return DOMPurify.sanitize(raw, PURIFY);
}

const FENCE = /(?:^|\n) {0,3}(?:```|~~~)/;

/** When `text` has fenced code and highlight.js is not loaded yet: a promise resolving once it is (render again then). */
export function highlighterFor(text) {
  if (hljs || !FENCE.test(text ?? "")) return undefined;
  loading ??= (async () => {
    const core = (await import("highlight.js/core")).default;
    const langs = await Promise.all(LANGUAGES.map((name) => import(`highlight.js/languages/${name}.js`)));
    LANGUAGES.forEach((name, i) => core.registerLanguage(name, langs[i].default));
    hljs = core;
  })();
  return loading;
}
