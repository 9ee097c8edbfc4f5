/**
 * What Grafana needs from a provisioned dashboard, as a zod schema, and every PromQL query a dashboard
 * sends, with Grafana's variables filled in the way Grafana would.
 */
import { z } from 'zod';

// Grafana's `${datasource}`: the dashboard's own variable, never an import input.
const datasourceRef = z.object({ type: z.literal('prometheus'), uid: z.literal('$' + '{datasource}') });

const gridPos = z
  .object({
    x: z.number().int().min(0),
    y: z.number().int().min(0),
    w: z.number().int().min(1),
    h: z.number().int().min(1),
  })
  .refine((g) => g.x + g.w <= 24, 'a panel must fit the 24 grid columns');

const thresholdsSchema = z.object({
  mode: z.enum(['absolute', 'percentage']),
  steps: z
    .array(z.object({ value: z.number().nullable(), color: z.string().min(1) }))
    .min(1)
    .refine((steps) => steps[0]?.value === null, 'the first step is the base, with value null')
    .refine(
      (steps) => steps.slice(2).every((s, i) => (s.value as number) > (steps[i + 1]?.value as number)),
      'step values must increase',
    ),
});

const fieldConfig = z.object({
  defaults: z
    .object({
      unit: z.string().optional(),
      thresholds: thresholdsSchema.optional(),
      mappings: z
        .array(z.object({ type: z.enum(['value', 'range', 'regex', 'special']), options: z.unknown() }))
        .optional(),
    })
    .passthrough(),
  overrides: z.array(
    z.object({
      matcher: z.object({ id: z.string().min(1), options: z.unknown() }),
      properties: z.array(z.object({ id: z.string().min(1), value: z.unknown() })),
    }),
  ),
});

const target = z.object({
  refId: z.string().min(1),
  expr: z.string().min(1),
  datasource: datasourceRef,
  instant: z.boolean().optional(),
  range: z.boolean().optional(),
  format: z.enum(['time_series', 'table']).optional(),
  legendFormat: z.string().optional(),
});

const link = z.object({ title: z.string().min(1), url: z.string().min(1) }).passthrough();

const base = {
  id: z.number().int().positive(),
  title: z.string().min(1),
  gridPos,
  links: z.array(link).optional(),
};

const queryPanel = z.object({
  ...base,
  type: z.enum(['timeseries', 'stat', 'table', 'state-timeline']),
  datasource: datasourceRef,
  targets: z
    .array(target)
    .min(1)
    .refine(
      (ts) => new Set(ts.map((t) => t.refId)).size === ts.length,
      'refIds must be unique within a panel',
    ),
  fieldConfig,
  options: z.record(z.string(), z.unknown()),
});

const panel = z.discriminatedUnion('type', [
  queryPanel,
  z.object({ ...base, type: z.literal('row'), collapsed: z.literal(false), panels: z.array(z.never()) }),
  z.object({
    ...base,
    type: z.literal('text'),
    options: z.object({ mode: z.literal('markdown'), content: z.string().min(1) }),
  }),
]);

const variable = z.discriminatedUnion('type', [
  z.object({ type: z.literal('datasource'), name: z.literal('datasource'), query: z.literal('prometheus') }),
  z.object({
    type: z.literal('query'),
    name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/),
    datasource: datasourceRef,
    query: z.string().regex(/^label_values\(.+, [a-zA-Z_][a-zA-Z0-9_]*\)$/),
    allValue: z.string().optional(),
  }),
]);

export const dashboardSchema = z
  .object({
    uid: z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/),
    title: z.string().min(1),
    schemaVersion: z.number().int().min(39),
    tags: z.array(z.string()),
    time: z.object({ from: z.string(), to: z.string() }),
    templating: z.object({ list: z.array(variable) }),
    annotations: z.object({
      list: z
        .array(
          z.object({ name: z.string(), datasource: datasourceRef, expr: z.string().min(1) }).passthrough(),
        )
        .optional(),
    }),
    links: z.array(z.object({ title: z.string(), type: z.enum(['link', 'dashboards']) }).passthrough()),
    panels: z.array(panel).min(1),
  })
  .superRefine((board, ctx) => {
    const ids = board.panels.map((p) => p.id);
    if (new Set(ids).size !== ids.length)
      ctx.addIssue({ code: 'custom', message: `panel ids repeat: ${ids}` });
    if (!board.templating.list.some((v) => v.type === 'datasource')) {
      ctx.addIssue({ code: 'custom', message: 'no datasource variable' });
    }
    const cells = new Map<string, string>();
    for (const p of board.panels) {
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          const other = cells.get(`${x},${y}`);
          if (other) ctx.addIssue({ code: 'custom', message: `"${p.title}" overlaps "${other}"` });
          cells.set(`${x},${y}`, p.title);
        }
      }
    }
  });

export type Dashboard = z.infer<typeof dashboardSchema>;

export interface PanelQuery {
  /** Where the query comes from, for failure messages. */
  where: string;
  expr: string;
  /** Stats and tables ask for one value; graphs and annotations for a range. */
  instant: boolean;
}

/** Every PromQL query the dashboard sends: panel targets, annotations and the selectors of query variables. */
export function dashboardQueries(board: Dashboard): PanelQuery[] {
  const queries: PanelQuery[] = [];
  for (const p of board.panels) {
    if (!('targets' in p)) continue;
    for (const t of p.targets) {
      queries.push({
        where: `${board.uid} panel ${p.id} "${p.title}" ${t.refId}`,
        expr: t.expr,
        instant: t.instant === true,
      });
    }
  }
  for (const a of board.annotations.list ?? []) {
    queries.push({ where: `${board.uid} annotation "${a.name}"`, expr: a.expr, instant: false });
  }
  for (const v of board.templating.list) {
    if (v.type !== 'query') continue;
    const inner = /^label_values\((.+), [a-zA-Z_][a-zA-Z0-9_]*\)$/.exec(v.query)?.[1] ?? '';
    queries.push({ where: `${board.uid} variable ${v.name}`, expr: inner, instant: true });
  }
  return queries;
}

/**
 * The query as Grafana sends it: built-in range variables as durations, dashboard variables as the
 * value they have with "All" picked.
 */
export function interpolate(expr: string, board: Dashboard, range = '1h'): string {
  const builtIns: Record<string, string> = { __range: range, __rate_interval: '5m', __interval: '1m' };
  const all = Object.fromEntries(
    board.templating.list.flatMap((v) => (v.type === 'query' ? [[v.name, v.allValue ?? '.*']] : [])),
  );
  return expr.replace(/\$\{?(\w+)\}?/g, (text, name: string) => builtIns[name] ?? all[name] ?? text);
}
