// The Runs page: placeholder until it is built (every run with its status, model, duration, tokens, cost and tool calls).
import { html } from "../lib/html.js";
import { EmptyState } from "../lib/components.js";

export default function Page() {
  return html`<section class="page"><${EmptyState} title="Runs: coming soon">This page will show every run with its status, model, duration, tokens, cost and tool calls.<//></section>`;
}
