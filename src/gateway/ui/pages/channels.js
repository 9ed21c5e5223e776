// The Channels page: placeholder until it is built (each channel account's state, pairing requests and approved senders).
import { html } from "../lib/html.js";
import { EmptyState } from "../lib/components.js";

export default function Page() {
  return html`<section class="page"><${EmptyState} title="Channels: coming soon">This page will show each channel account's state, pairing requests and approved senders.<//></section>`;
}
