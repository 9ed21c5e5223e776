// The Audit page: placeholder until it is built (tool decisions, config reloads and pairing).
import { html } from "../lib/html.js";
import { EmptyState } from "../lib/components.js";

export default function Page() {
  return html`<section class="page"><${EmptyState} title="Audit: coming soon">This page will show tool decisions, config reloads and pairing.<//></section>`;
}
