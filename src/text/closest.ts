/** "Did you mean": how far apart two names are, and the nearest of many. */

/** Levenshtein distance: insertions, deletions and substitutions each cost one. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number;
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] as number;
}

/**
 * The option nearest `word`, ignoring case, when it is a plausible typo of it: at most 2 edits, or a third
 * of the word's length for longer words. Undefined when none is that close.
 */
export function closest(word: string, options: readonly string[]): string | undefined {
  const wanted = word.toLowerCase();
  let best: { option: string; d: number } | undefined;
  for (const option of options) {
    const d = editDistance(wanted, option.toLowerCase());
    if (!best || d < best.d) best = { option, d };
  }
  return best && best.d <= Math.max(2, Math.floor(word.length / 3)) ? best.option : undefined;
}
