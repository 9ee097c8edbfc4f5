/** Finding pages by name: the runbook search box, and "did you mean" on a 404. */

import { editDistance } from '../text/closest.ts';

export interface Named {
  path: string;
  title: string;
}

/** Pages whose path or title holds every word of the query, case-insensitively. */
export function searchPages<T extends Named>(pages: readonly T[], query: string): T[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return pages.filter((p) => {
    const text = `${p.path} ${p.title}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
}

function lastSegment(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

// Short names would make every page "contain" them.
const MIN_SUBSTRING = 3;

/**
 * Pages someone asking for `path` probably meant: the last segment inside a page's path (or the
 * other way round), or a few typos away from it or from the whole path. Best first.
 */
export function nearMatches<T extends Named>(path: string, pages: readonly T[], limit = 8): T[] {
  const wanted = path
    .toLowerCase()
    .replace(/[?#].*$/, '')
    .replace(/\/+$/, '')
    .replace(/\.(md|html)$/, '');
  const wantedLast = lastSegment(wanted);
  const scored = pages.flatMap((page) => {
    const candidate = page.path.toLowerCase();
    const candidateLast = lastSegment(candidate);
    const contains =
      (wantedLast.length >= MIN_SUBSTRING && candidate.includes(wantedLast)) ||
      (candidateLast.length >= MIN_SUBSTRING && wantedLast.includes(candidateLast));
    const distance = Math.min(editDistance(wanted, candidate), editDistance(wantedLast, candidateLast));
    const close = distance <= Math.max(2, Math.round(wantedLast.length * 0.4));
    return contains || close ? [{ page, rank: contains ? 0 : 1, distance }] : [];
  });
  scored.sort((a, b) => a.rank - b.rank || a.distance - b.distance || a.page.path.localeCompare(b.page.path));
  return scored.slice(0, limit).map((s) => s.page);
}
