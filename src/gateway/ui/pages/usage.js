// The Usage page: placeholder until it is built (tokens and cost by day, model, agent and channel).
import { html } from "../lib/html.js";
import { EmptyState } from "../lib/components.js";

export default function Page() {
  return html`<section class="page"><${EmptyState} title="Usage: coming soon">This page will show tokens and cost by day, model, agent and channel.<//></section>`;
}
