// A line diff of two texts for the config editor's review step: common lines at both ends are skipped, the middle is
// matched by longest common subsequence. Pure; no DOM.

/** Above this many line pairs in the changed middle, the middle is shown as removed then added, not matched. */
const MAX_CELLS = 4_000_000;

/**
 * Lines of `before` → `after` as [{ op: " " | "-" | "+", text, a?, b? }] (`a`/`b`: 1-based line numbers in each text).
 * Contract: the " " and "-" lines spell `before`; the " " and "+" lines spell `after`.
 */
export function diffLines(before, after) {
  const a = splitLines(before);
  const b = splitLines(after);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const out = [];
  for (let i = 0; i < start; i++) out.push({ op: " ", text: a[i], a: i + 1, b: i + 1 });
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  for (const step of matchMiddle(midA, midB)) {
    if (step.op === " ") out.push({ op: " ", text: midA[step.i], a: start + step.i + 1, b: start + step.j + 1 });
    else if (step.op === "-") out.push({ op: "-", text: midA[step.i], a: start + step.i + 1 });
    else out.push({ op: "+", text: midB[step.j], b: start + step.j + 1 });
  }
  for (let i = endA; i < a.length; i++) out.push({ op: " ", text: a[i], a: i + 1, b: i - endA + endB + 1 });
  return out;
}

function splitLines(text) {
  if (text === "") return [];
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop(); // a final newline ends the last line; it is not an empty line of its own
  return lines;
}

function matchMiddle(a, b) {
  const n = a.length;
  const m = b.length;
  if (n * m > MAX_CELLS) return [...a.map((_, i) => ({ op: "-", i })), ...b.map((_, j) => ({ op: "+", j }))];
  // lcs[i][j] = length of the LCS of a[i..] and b[j..], one flat array of (n+1)·(m+1).
  const width = m + 1;
  const lcs = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * width + j] = a[i] === b[j] ? lcs[(i + 1) * width + j + 1] + 1 : Math.max(lcs[(i + 1) * width + j], lcs[i * width + j + 1]);
    }
  }
  const steps = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) steps.push({ op: " ", i: i++, j: j++ });
    else if (lcs[(i + 1) * width + j] >= lcs[i * width + j + 1]) steps.push({ op: "-", i: i++ });
    else steps.push({ op: "+", j: j++ });
  }
  while (i < n) steps.push({ op: "-", i: i++ });
  while (j < m) steps.push({ op: "+", j: j++ });
  return steps;
}

/**
 * The diff cut down to the changed lines with `context` lines around them, as hunks: [{ lines: [...] }]; unchanged
 * stretches between hunks are left out. Empty when nothing changed.
 */
export function diffHunks(lines, context = 3) {
  const shown = new Uint8Array(lines.length);
  lines.forEach((line, idx) => {
    if (line.op === " ") return;
    for (let k = Math.max(0, idx - context); k <= Math.min(lines.length - 1, idx + context); k++) shown[k] = 1;
  });
  const hunks = [];
  let current;
  lines.forEach((line, idx) => {
    if (!shown[idx]) return void (current = undefined);
    if (!current) hunks.push((current = { lines: [] }));
    current.lines.push(line);
  });
  return hunks;
}
