// The SLO page's charts, drawn with uPlot from the history endpoint. Everything else on the page
// works without it. Text from the server only ever goes through textContent or onto the canvas.
const TIMEOUT_MS = 20_000;
const root = document.querySelector('[data-history]');
if (root) void drawHistory(root);

function palette() {
  const css = getComputedStyle(document.documentElement);
  const color = (name) => css.getPropertyValue(name).trim();
  return {
    fg: color('--fg'),
    muted: color('--muted'),
    line: color('--line'),
    long: color('--link'),
    short: color('--ticket'),
    threshold: color('--page'),
    budget: color('--ok'),
    firing: `${color('--page')}2e`,
    pending: `${color('--ticket')}2e`,
  };
}

// Okabe and Ito's colours, told apart with any colour vision, one per breakdown value; their blue and
// black come from the theme (the link and text colours), so they show on a dark page too.
const seriesColors = (colors) => [
  colors.long,
  '#d55e00',
  '#009e73',
  '#cc79a7',
  '#e69f00',
  '#56b4e9',
  '#f0e442',
  colors.fg,
];
// A tier's alert periods listed under its chart; older ones are counted.
const PERIODS_LISTED = 5;

/** Three significant digits, with a real minus sign: `−42`, which reads as negative at a glance. */
const number = (v) =>
  v === null || v === undefined ? '–' : String(Number(v.toPrecision(3))).replace(/^-/, '\u2212');

/** `14:30` in UTC, and under the first tick of each day its date (`11-30`). */
function timeLabels(_u, splits) {
  let day = '';
  return splits.map((seconds) => {
    const iso = new Date(seconds * 1000).toISOString();
    if (iso.slice(0, 10) === day) return iso.slice(11, 16);
    day = iso.slice(0, 10);
    return `${iso.slice(11, 16)}\n${iso.slice(5, 10)}`;
  });
}

function axes(colors, unit) {
  const grid = { stroke: colors.line, width: 1 };
  return [
    { stroke: colors.muted, grid, ticks: grid, values: timeLabels },
    {
      stroke: colors.muted,
      grid,
      ticks: grid,
      // Wide enough for the longest label (`−1230%`), so none is cut at the left edge.
      size: (_u, values) => Math.max(48, 14 + 8 * Math.max(0, ...(values ?? []).map((v) => v.length))),
      // A log axis labels some of its ticks only (the others come as null).
      values: (_u, splits) => splits.map((v) => (v === null ? '' : `${number(v)}${unit}`)),
    },
  ];
}

/**
 * The burn axis on a log scale, from a decade under the lowest burn (or a tenth of the threshold) to a
 * decade over the highest: the dashed threshold stays in view and apart from the lines at 0.5× and at 500×,
 * where a linear axis flattens either the burn or the threshold onto the bottom edge.
 */
function burnRange(factor, series) {
  const burns = series.flat().filter((v) => v !== null && v > 0);
  const low = Math.max(factor / 1000, Math.min(factor / 10, ...burns) / 2);
  const high = Math.max(factor, ...burns) * 2;
  return [10 ** Math.floor(Math.log10(low)), 10 ** Math.ceil(Math.log10(high))];
}

/** Shades each period (Unix seconds) of the chart's tier: pending, then firing over it. */
function shading(periods, colors) {
  return (u) => {
    const { ctx, bbox } = u;
    ctx.save();
    ctx.beginPath();
    ctx.rect(bbox.left, bbox.top, bbox.width, bbox.height);
    ctx.clip();
    for (const state of ['pending', 'firing']) {
      ctx.fillStyle = colors[state];
      for (const p of periods.filter((x) => x.state === state)) {
        const from = u.valToPos(p.start, 'x', true);
        const to = u.valToPos(p.end, 'x', true);
        ctx.fillRect(from, bbox.top, Math.max(2, to - from), bbox.height);
      }
    }
    ctx.restore();
  };
}

const utc = (seconds) => `${new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' ')}`;

/** The tier's periods in words, newest first: the shading for a screen reader, and exact times for anyone. */
function periodsText(periods, history) {
  const source = history.alertPeriodsFrom.includes('burnbook')
    ? "Prometheus's ALERTS and burnbook's evaluator"
    : "Prometheus's ALERTS";
  if (!periods.length) return `Neither pending nor firing in this range (from ${source}).`;
  const end = Date.parse(history.end) / 1000;
  const listed = [...periods]
    .reverse()
    .slice(0, PERIODS_LISTED)
    .map((p) => {
      const until = p.end >= end - history.stepSeconds ? 'now' : utc(p.end).slice(11);
      return `${p.state} ${utc(p.start)}–${until}`;
    });
  const more = periods.length > PERIODS_LISTED ? `, and ${periods.length - PERIODS_LISTED} earlier` : '';
  return `${listed.join(', ')} UTC${more} (from ${source}).`;
}

// Times on the axes and in the legends in UTC, as everywhere else on burnbook's pages.
const inUtc = (seconds) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC');
/** The time series of a chart: its legend reads 24-hour UTC, like the axis. */
const TIME = { value: '{YYYY}-{MM}-{DD} {HH}:{mm}:{ss} UTC' };

function size(plot) {
  const width = Math.max(280, plot.clientWidth);
  return { width, height: width < 500 ? 180 : 220 };
}

function burnChart(figure, history, tier, colors) {
  const long = history.burnRates[tier.longWindow] ?? [];
  const short = history.burnRates[tier.shortWindow] ?? [];
  const line = history.timestamps.map(() => tier.factor);
  const value = (_u, v) => (v === null || v === undefined ? '–' : `${number(v)}×`);
  const plot = figure.querySelector('.plot');
  const periods = history.alertPeriods.filter((p) => p.tier === tier.tier);
  const note = figure.querySelector('[data-alert-periods]');
  note.textContent = periodsText(periods, history);
  note.hidden = false;
  const range = burnRange(tier.factor, [long, short]);
  return new uPlot(
    {
      ...size(plot),
      tzDate: inUtc,
      // A burn of 0 sits on the bottom edge (a log scale has no 0).
      scales: { y: { distr: 3, log: 10, range: () => range, clamp: (_u, _v, min) => min } },
      hooks: { drawClear: [shading(periods, colors)] },
      axes: axes(colors, '×'),
      series: [
        TIME,
        { label: `${tier.longWindow} window`, stroke: colors.long, width: 2, value },
        { label: `${tier.shortWindow} window`, stroke: colors.short, width: 1.5, value },
        { label: `fires above ${tier.factor}×`, stroke: colors.threshold, width: 1.5, dash: [6, 4], value },
      ],
    },
    [history.timestamps, long, short, line],
    plot,
  );
}

function budgetChart(figure, history, colors) {
  const left = history.budgetRemaining.map((v) => (v === null ? null : v * 100));
  // A young SLO has a few points: dots, so even one shows (a line needs two).
  const known = left.filter((v) => v !== null).length;
  const plot = figure.querySelector('.plot');
  return new uPlot(
    {
      ...size(plot),
      tzDate: inUtc,
      scales: { y: { range: (_u, min, max) => [Math.min(0, min ?? 0), Math.max(100, max ?? 0)] } },
      axes: axes(colors, '%'),
      series: [
        TIME,
        {
          label: 'budget left',
          // From the raw SLI sampled hourly or so (see budgetStepSeconds): the steps between are not gaps.
          spanGaps: true,
          points: { show: known < 40, size: 6, fill: colors.budget },
          stroke: colors.budget,
          fill: `${colors.budget}33`,
          width: 2,
          // Sampled sparsely (see budgetStepSeconds): between samples the legend reads the one before.
          value: (_u, _v, _s, i) => {
            const known = i === null ? undefined : left.slice(0, i + 1).findLast((v) => v !== null);
            return known === undefined ? '–' : `${number(known)}%`;
          },
        },
      ],
    },
    [history.timestamps, left],
    plot,
  );
}

/** One line per value of the breakdown label, in the same colour on the requests and the errors chart. */
function breakdownChart(figure, history, colors) {
  const { breakdown } = history;
  const values = [...new Set([...breakdown.requests, ...breakdown.errors].map((s) => s.value))].sort();
  const shown = breakdown[figure.dataset.breakdown];
  const palette = seriesColors(colors);
  const plot = figure.querySelector('.plot');
  const rate = (_u, v) => (v === null || v === undefined ? '–' : `${number(v)}/s`);
  if (breakdown.omitted) {
    const note = document.createElement('p');
    note.className = 'note';
    note.textContent = `${breakdown.omitted} more values of ${breakdown.label} are not drawn (the ${shown.length} largest now are).`;
    figure.append(note);
  }
  return new uPlot(
    {
      ...size(plot),
      tzDate: inUtc,
      scales: { y: { range: (_u, _min, max) => [0, Math.max(max ?? 0, 0.001) * 1.1] } },
      axes: axes(colors, '/s'),
      series: [
        TIME,
        ...shown.map((s) => ({
          label: s.value === '' ? `(no ${breakdown.label})` : s.value,
          stroke: palette[values.indexOf(s.value) % palette.length],
          width: 1.5,
          value: rate,
        })),
      ],
    },
    [history.timestamps, ...shown.map((s) => s.points)],
    plot,
  );
}

async function fetchHistory(url) {
  const response = await fetch(url, {
    headers: { accept: 'application/json' },
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error ?? `the server answered HTTP ${response.status}`);
  return body;
}

/** Which group the server picked, when the page did not name one (the evaluator knew none yet). */
function groupNote(history, url) {
  if ([...new URL(url, location.href).searchParams.keys()].some((k) => k.startsWith('group.'))) return '';
  if (history.group === null) return 'No group has data in this range.';
  const labels = Object.entries(history.group).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  if (!labels.length) return '';
  const omitted = history.groupsOmitted ? ` (${history.groupsOmitted} more left out: too many to read)` : '';
  return `Charting {${labels.join(', ')}}, the least budget left of ${history.groupsSeen}${omitted}.`;
}

async function drawHistory(root) {
  const status = root.querySelector('[data-chart-status]');
  const say = (text) => {
    status.textContent = text;
    status.hidden = !text;
  };
  const figures = root.querySelectorAll('figure.chart');
  const hide = () => {
    for (const figure of figures) figure.hidden = true;
  };
  if (typeof uPlot !== 'function') {
    hide();
    return say('No charts: the chart library did not load.');
  }
  let history;
  try {
    history = await fetchHistory(root.dataset.history);
  } catch (error) {
    hide();
    const why = error.name === 'TimeoutError' ? `no answer within ${TIMEOUT_MS / 1000} s` : error.message;
    return say(`No charts: ${why}`);
  }
  const problems = history.errors.length ? ` Some windows are missing: ${history.errors.join('; ')}` : '';
  say(`${groupNote(history, root.dataset.history)}${problems}`.trim());
  const colors = palette();
  const charts = [];
  for (const figure of figures) {
    const tier = history.tiers.find((t) => t.tier === figure.dataset.tier);
    if (tier) charts.push(burnChart(figure, history, tier, colors));
    else if (figure.hasAttribute('data-budget-chart')) charts.push(budgetChart(figure, history, colors));
    else if (figure.dataset.breakdown && history.breakdown)
      charts.push(breakdownChart(figure, history, colors));
    else if (figure.dataset.breakdown) figure.hidden = true;
  }
  new ResizeObserver(() => {
    for (const chart of charts) chart.setSize(size(chart.root.parentElement));
  }).observe(root);
}
