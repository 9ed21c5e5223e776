// The Sessions page: placeholder until it is built (every conversation with its channel, peer, agent, activity and tokens).
import { html } from "../lib/html.js";
import { EmptyState } from "../lib/components.js";

export default function Page() {
  return html`<section class="page"><${EmptyState} title="Sessions: coming soon">This page will show every conversation with its channel, peer, agent, activity and tokens.<//></section>`;
}
