// The Config page: placeholder until it is built (the effective config and an editor for pincer.yaml).
import { html } from "../lib/html.js";
import { EmptyState } from "../lib/components.js";

export default function Page() {
  return html`<section class="page"><${EmptyState} title="Config: coming soon">This page will show the effective config and an editor for pincer.yaml.<//></section>`;
}
