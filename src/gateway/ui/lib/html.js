// One import for pages: `html` (htm bound to Preact's h), Preact's render helpers and its hooks.
import { Fragment, h, render } from "preact";
import htm from "htm";

export { Fragment, h, render };
export { useCallback, useEffect, useLayoutEffect, useMemo, useReducer, useRef, useState } from "preact/hooks";

/** Tagged template for Preact elements: html`<p class="x">${text}</p>`. Interpolated values are text, never markup. */
export const html = htm.bind(h);

const sheets = new Set();

/** Adds a page's own stylesheet (e.g. "/ui/pages/chat.css") to the document once; pages call it at module load. */
export function loadStylesheet(href) {
  if (sheets.has(href)) return;
  sheets.add(href);
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = href;
  document.head.append(link);
}
