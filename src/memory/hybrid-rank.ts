// Pure ranking of memory search: cosine similarity, the merge of full-text and vector scores with weights (each
// normalised to 0..1 over the query's candidates), and the snippet shown for a hit.

export interface RankedHit {
  id: number;
  path: string;
  startLine: number;
  endLine: number;
  content: string;
  /** 0..1 */
  score: number;
}

export function cosine(a: Float32Array, b: Float32Array): number {
  const n = Math.min(a.length, b.length);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** `v` scaled to length 1 (a copy), so cosine against other unit vectors is a dot product. */
export function normalize(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
  const out = new Float32Array(v.length);
  if (n === 0) return out;
  const inv = 1 / Math.sqrt(n);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! * inv;
  return out;
}

/**
 * Indexes and scores of the `k` rows most similar to `query` (all unit vectors), best first: one dot product per row
 * and a small sorted buffer, no per-row allocation.
 */
export function topByDot(query: Float32Array, rows: readonly Float32Array[], k: number): Array<{ index: number; score: number }> {
  const best: Array<{ index: number; score: number }> = [];
  const n = query.length;
  for (let r = 0; r < rows.length; r++) {
    const v = rows[r]!;
    const m = Math.min(n, v.length);
    let dot = 0;
    for (let i = 0; i < m; i++) dot += query[i]! * v[i]!;
    if (best.length === k && dot <= best[k - 1]!.score) continue;
    let at = best.length;
    while (at > 0 && best[at - 1]!.score < dot) at--;
    best.splice(at, 0, { index: r, score: dot });
    if (best.length > k) best.pop();
  }
  return best;
}

type Candidate = Omit<RankedHit, "score">;

/**
 * Merges full-text hits (any positive scale) and vector hits (cosine) into one list, best first. Each side is divided
 * by its best score, then `text_weight · text + vector_weight · vector`, over the weights' sum. Without vector hits
 * the text score alone ranks (and vice versa).
 */
export function mergeHits(
  text: ReadonlyArray<Candidate & { score: number }>,
  vector: ReadonlyArray<Candidate & { score: number }>,
  weights: { text: number; vector: number },
  limit: number,
): RankedHit[] {
  const maxText = Math.max(0, ...text.map((h) => h.score));
  const maxVec = Math.max(0, ...vector.map((h) => h.score));
  const wText = text.length > 0 ? weights.text : 0;
  const wVec = vector.length > 0 ? weights.vector : 0;
  const total = wText + wVec || 1;
  const merged = new Map<number, { hit: Candidate; t: number; v: number }>();
  for (const h of text) merged.set(h.id, { hit: h, t: maxText > 0 ? h.score / maxText : 0, v: 0 });
  for (const h of vector) {
    const v = maxVec > 0 ? Math.max(0, h.score) / maxVec : 0;
    const seen = merged.get(h.id);
    if (seen) seen.v = v;
    else merged.set(h.id, { hit: h, t: 0, v });
  }
  return [...merged.values()]
    .map(({ hit, t, v }) => ({ ...hit, score: (wText * t + wVec * v) / total }))
    .sort((a, b) => b.score - a.score || a.path.localeCompare(b.path) || a.startLine - b.startLine)
    .slice(0, limit);
}

/** Words of a query (letters, digits, `_`), lowercased, deduplicated, at most 32. */
export function queryTerms(query: string): string[] {
  const words = query.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? [];
  return [...new Set(words)].slice(0, 32);
}

/** Up to `max` characters of `content` around the first line that holds a query term (whitespace collapsed). */
export function renderSnippet(content: string, terms: readonly string[], max = 240): string {
  const lines = content.split("\n");
  const hit = lines.findIndex((l) => terms.some((t) => l.toLowerCase().includes(t)));
  const from = Math.max(0, hit);
  const text = lines.slice(from).join(" ").replace(/\s+/g, " ").trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
