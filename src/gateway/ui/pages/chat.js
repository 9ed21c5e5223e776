// The Chat page: placeholder until it is built (conversations with streamed, rendered answers).
import { html } from "../lib/html.js";
import { EmptyState } from "../lib/components.js";

export default function Page() {
  return html`<section class="page"><${EmptyState} title="Chat: coming soon">This page will hold your conversations.<//></section>`;
}
