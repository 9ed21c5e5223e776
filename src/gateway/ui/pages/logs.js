// The Logs page: placeholder until it is built (a live tail of the gateway log).
import { html } from "../lib/html.js";
import { EmptyState } from "../lib/components.js";

export default function Page() {
  return html`<section class="page"><${EmptyState} title="Logs: coming soon">This page will show a live tail of the gateway log.<//></section>`;
}
