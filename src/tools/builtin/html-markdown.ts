// Turns a fetched HTML page into readable Markdown: Readability picks the article on a linkedom document,
// turndown renders it. The three libraries are imported lazily so nothing heavy loads until web_fetch runs.

export interface PageMarkdown {
  title: string | undefined;
  markdown: string;
}

/** Elements that never carry readable text. */
const NOISE = ["script", "style", "noscript", "iframe", "svg", "template", "form"] as const;

/**
 * Extracts the main content of `html` (served from `url`, used to absolutise links) as Markdown.
 * Falls back to the whole <body> when Readability finds no article.
 */
export async function renderHtmlAsMarkdown(html: string, url: string): Promise<PageMarkdown> {
  const [{ parseHTML }, { Readability }, { default: TurndownService }] = await Promise.all([
    import("linkedom"),
    import("@mozilla/readability"),
    import("turndown"),
  ]);
  // linkedom mis-nests a bare fragment (no <html>), so give it a document shell.
  const { document } = parseHTML(/<html[\s>]/i.test(html) ? html : `<!doctype html><html><head></head><body>${html}</body></html>`);
  // linkedom has no URL for a parsed string; Readability resolves relative links against these.
  for (const key of ["baseURI", "documentURI"]) {
    Object.defineProperty(document, key, { value: url, configurable: true });
  }
  const fallbackTitle = document.title?.trim() || undefined;
  const fallbackBody = document.body?.innerHTML ?? html;
  // Readability is typed against the DOM lib we do not load; linkedom's document is what it walks.
  const article = new Readability(document as never).parse();

  const turndown = new TurndownService({ headingStyle: "atx", codeBlockStyle: "fenced", bulletListMarker: "-" });
  turndown.remove([...NOISE]);
  const content = article?.content && article.textContent?.trim() ? article.content : fallbackBody;
  const markdown = turndown
    .turndown(content)
    .replace(/\n{3,}/g, "\n\n")
    .trim();
  return { title: article?.title?.trim() || fallbackTitle, markdown };
}
