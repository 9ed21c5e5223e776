// The Overview page: placeholder until it is built (gateway version and uptime, model reachability, channels, runs in flight and today's usage).
import { html } from "../lib/html.js";
import { EmptyState } from "../lib/components.js";

export default function Page() {
  return html`<section class="page"><${EmptyState} title="Overview: coming soon">This page will show gateway version and uptime, model reachability, channels, runs in flight and today's usage.<//></section>`;
}
