// The message box: Enter sends, Shift+Enter adds a line, "/" opens the list of chat commands, images can be pasted
// or picked (shown as thumbnails until sent), and Stop ends the running answer.
import { html, useEffect, useRef, useState } from "../../lib/html.js";

/** The commands the channels answer (routing/ingress/chat-commands.ts), with what they do. */
export const COMMANDS = [
  ["new", "start a fresh conversation (optionally on another model: /new <model>)"],
  ["reset", "clear this conversation"],
  ["status", "agent, model, session, tokens used, context use, queue"],
  ["compact", "summarise the older part of this conversation now: /compact [focus]"],
  ["model", "list models, or switch this conversation's model: /model <name>"],
  ["usage", "tokens, cost and budgets of this conversation"],
  ["stop", "stop the current answer"],
  ["help", "all commands"],
  ["queue", "what happens to messages sent while an answer runs"],
  ["whoami", "your id as the gateway sees it"],
];
const KNOWN = new Set([...COMMANDS.map(([name]) => name), "activation"]);

const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);
const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
const MAX_IMAGES = 4;
const MAX_EDGE = 2048; // px; bigger photos are scaled down before sending

/** An unknown `/word` at the start: a command the gateway would not run, so not sent. Paths like /etc/x pass. */
export function unknownCommand(text) {
  const m = /^\/([a-z]+)(?:@\S+)?(?:\s|$)/i.exec(text.trim());
  return m && !KNOWN.has(m[1].toLowerCase()) ? m[1] : undefined;
}

/** A picked or pasted file as an attachment ready to send: type checked, scaled down when too big, base64. */
async function prepareImage(file) {
  let blob = file;
  if (!IMAGE_TYPES.has(file.type) || file.size > MAX_IMAGE_BYTES) blob = await downscale(file);
  if (blob.size > MAX_IMAGE_BYTES) throw new Error(`${file.name || "The image"} is over 5 MB even scaled down`);
  const data = await new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ""));
    reader.onerror = () => reject(new Error(`${file.name || "the image"} could not be read`));
    reader.readAsDataURL(blob);
  });
  return { type: "image", mimeType: blob.type, data, name: file.name || "pasted.png" };
}

async function downscale(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new Error(`${file.name || "This file"} is not an image this browser can read (PNG, JPEG, GIF or WebP)`);
  }
  const scale = Math.min(1, MAX_EDGE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve) => canvas.toBlob((b) => resolve(b), "image/jpeg", 0.85));
}

/**
 * `onSend({ text, attachments, previews })` sends; `onStop()` stops the running answer (button shown while `running`).
 * `disabledReason` blocks sending with a visible reason.
 */
export function Composer({ onSend, onStop, running, sessionKey }) {
  const [text, setText] = useState("");
  const [images, setImages] = useState([]); // { file, url }
  const [error, setError] = useState("");
  const [hint, setHint] = useState(0);
  const [hintsClosed, setHintsClosed] = useState(false);
  const area = useRef();
  const picker = useRef();

  useEffect(() => {
    area.current?.focus();
    setError("");
  }, [sessionKey]);
  useEffect(() => {
    const el = area.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${Math.min(el.scrollHeight, window.innerHeight * 0.4)}px`;
  }, [text]);

  const typed = /^\/([a-z]*)$/i.exec(text);
  const hints = typed && !hintsClosed ? COMMANDS.filter(([name]) => name.startsWith(typed[1].toLowerCase())) : [];
  const pick = (name) => {
    setText(`/${name} `);
    setHint(0);
    area.current?.focus();
  };

  const addFiles = (files) => {
    const list = [...files].filter((f) => f.type.startsWith("image/"));
    if (list.length === 0) return;
    setImages((current) => {
      const room = MAX_IMAGES - current.length;
      if (list.length > room) setError(`At most ${MAX_IMAGES} images per message.`);
      return [...current, ...list.slice(0, Math.max(0, room)).map((file) => ({ file, url: URL.createObjectURL(file) }))];
    });
  };
  const removeImage = (i) => setImages((current) => current.filter((_, j) => j !== i));

  const submit = async (e) => {
    e?.preventDefault();
    if (!text.trim() && images.length === 0) return;
    const unknown = unknownCommand(text);
    if (unknown && images.length === 0) return setError(`Unknown command /${unknown}. Type / to see the commands.`);
    let attachments;
    try {
      attachments = await Promise.all(images.map((img) => prepareImage(img.file)));
    } catch (err) {
      return setError(err.message);
    }
    setError("");
    onSend({ text, attachments, previews: images.map((img) => ({ url: img.url, name: img.file.name || "pasted image" })) });
    setText("");
    setImages([]);
    setHintsClosed(false);
  };

  const onKeyDown = (e) => {
    if (hints.length > 0) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        setHint((h) => (h + (e.key === "ArrowDown" ? 1 : hints.length - 1)) % hints.length);
        return;
      }
      // Enter on a command typed in full sends it; otherwise Enter and Tab complete the highlighted one.
      const complete = hints.some(([name]) => `/${name}` === text.toLowerCase());
      if (e.key === "Tab" || (e.key === "Enter" && !e.shiftKey && !complete)) {
        e.preventDefault();
        pick(hints[Math.min(hint, hints.length - 1)][0]);
        return;
      }
      if (e.key === "Escape") return setHintsClosed(true);
    }
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void submit();
    }
  };

  return html`
    <form class="composer" onSubmit=${submit}>
      ${hints.length > 0
        ? html`<ul class="hints" id="command-hints" role="listbox" aria-label="Commands">
            ${hints.map(([name, what], i) => html`<li role="option" aria-selected=${i === hint} class=${i === hint ? "active" : ""}
              onMouseDown=${(e) => (e.preventDefault(), pick(name))}><code>/${name}</code> <span class="muted">${what}</span></li>`)}
          </ul>`
        : null}
      ${images.length > 0
        ? html`<div class="attachments">${images.map((img, i) => html`<figure class="thumb">
            <img src=${img.url} alt=${img.file.name || "pasted image"} />
            <button type="button" class="small ghost" aria-label=${`Remove ${img.file.name || "image"}`} onClick=${() => removeImage(i)}>✕</button>
          </figure>`)}</div>`
        : null}
      ${error ? html`<p class="composer-error error" role="alert">${error}</p>` : null}
      <div class="composer-row">
        <button type="button" class="ghost attach" aria-label="Attach image" title="Attach image (or paste one)" onClick=${() => picker.current?.click()}>
          <svg class="icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M21 12.5l-8.5 8.5a5 5 0 0 1-7-7L14 5.5a3.5 3.5 0 0 1 5 5L10.5 19a2 2 0 0 1-3-3L15 8.5" /></svg>
        </button>
        <input ref=${picker} type="file" accept="image/png,image/jpeg,image/gif,image/webp" multiple hidden
          onChange=${(e) => (addFiles(e.currentTarget.files), (e.currentTarget.value = ""))} />
        <label for="chat-input" class="sr-only">Message</label>
        <textarea id="chat-input" ref=${area} rows="1" placeholder="Message — / for commands"
          aria-autocomplete="list" aria-controls=${hints.length > 0 ? "command-hints" : undefined}
          value=${text} onInput=${(e) => (setText(e.currentTarget.value), setHintsClosed(false), setHint(0))} onKeyDown=${onKeyDown}
          onPaste=${(e) => {
            const files = [...(e.clipboardData?.files ?? [])];
            if (files.some((f) => f.type.startsWith("image/"))) {
              e.preventDefault();
              addFiles(files);
            }
          }}></textarea>
        ${running ? html`<button type="button" class="danger" onClick=${onStop}>Stop</button>` : null}
        <button type="submit" class="primary">Send</button>
      </div>
    </form>`;
}
