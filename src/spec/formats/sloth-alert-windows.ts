import { parseDuration } from '../../policy/duration.ts';
import { BASE_WINDOW_MS } from '../../policy/windows.ts';
import type { InputFormat } from '../format.ts';
import type { IssueProblem } from '../issues.ts';
import { parseWith, problem } from './foreign.ts';
import { alertWindowsSchema, SLOTH_API_VERSION } from './sloth.ts';

/**
 * Sloth's `kind: AlertWindows` catalog. It holds no SLO: the Sloth specs of the same run take their tiers
 * from it (sloth.ts chooses the catalog). Read on its own, it is checked, so a window burnbook cannot measure
 * is reported at the catalog's line.
 */
export const slothAlertWindows: InputFormat = {
  name: 'Sloth AlertWindows',
  accepts: (document) => document.apiVersion === SLOTH_API_VERSION && document.kind === 'AlertWindows',
  usesCatalog: true,
  read(document) {
    const parsed = parseWith(alertWindowsSchema, document);
    if (parsed.problems) return { slos: [], problems: parsed.problems };
    const problems: IssueProblem[] = [];
    const { spec } = parsed.data;
    if (!parseDuration(spec.sloPeriod))
      problems.push(problem(['spec', 'sloPeriod'], 'expected a duration such as 30d'));
    for (const severity of ['page', 'ticket'] as const) {
      for (const speed of ['quick', 'slow'] as const) {
        for (const key of ['shortWindow', 'longWindow'] as const) {
          const text = spec[severity][speed][key];
          const ms = parseDuration(text);
          if (ms === undefined)
            problems.push(problem(['spec', severity, speed, key], 'expected a duration such as 5m'));
          else if (ms < BASE_WINDOW_MS)
            problems.push(
              problem(
                ['spec', severity, speed, key],
                `${key} ${text} is shorter than 5m, the shortest window burnbook measures`,
                'use windows of 5m or longer',
              ),
            );
        }
      }
    }
    return { slos: [], problems };
  },
};
