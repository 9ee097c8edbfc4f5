import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import type { ScriptFile } from './layout.ts';
import type { Links } from './links.ts';

/**
 * The chart library, uPlot (MIT, ~50 kB), served from burnbook itself: pages fetch nothing from
 * elsewhere. Its URL carries a hash of the content, so browsers may keep it for a year and still
 * never run an old copy after an upgrade.
 */

const UPLOT_PATH = '/assets/uplot.iife.min.js';

interface Library {
  script: Buffer;
  css: string;
  version: string;
  integrity: string;
}

function load(): Library | undefined {
  try {
    const require = createRequire(import.meta.url);
    const script = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'));
    const css = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
    const digest = (algorithm: string) => createHash(algorithm).update(script).digest('base64');
    return {
      script,
      css,
      version: createHash('sha256').update(script).digest('hex').slice(0, 12),
      integrity: `sha384-${digest('sha384')}`,
    };
  } catch {
    // Pages still show every number; the SLO page says the charts need the `uplot` package.
    return undefined;
  }
}

const library = load();

export const CHART_LIBRARY_MISSING =
  'Charts need the uplot package, which is not installed next to burnbook (npm install uplot).';

/** What a page needs to draw charts: the script tag and the library's stylesheet (inlined). */
export function chartAssets(links: Links): { scriptFiles: ScriptFile[]; styles: string[] } | undefined {
  const href = links.to(UPLOT_PATH);
  if (!library || href === undefined) return undefined;
  return {
    scriptFiles: [{ href: `${href}?v=${library.version}`, integrity: library.integrity }],
    styles: [library.css],
  };
}

export function assetRoutes(app: FastifyInstance): void {
  app.get(UPLOT_PATH, async (_request, reply) => {
    if (!library) return reply.code(404).send({ error: CHART_LIBRARY_MISSING });
    return reply
      .header('cache-control', 'public, max-age=31536000, immutable')
      .type('text/javascript; charset=utf-8')
      .send(library.script);
  });
}
