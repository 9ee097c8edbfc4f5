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
  };
}

const number = (v) => (v === null || v === undefined ? '–' : String(Number(v.toPrecision(3))));

function axes(colors, unit) {
  const grid = { stroke: colors.line, width: 1 };
  return [
    { stroke: colors.muted, grid, ticks: grid },
    {
      stroke: colors.muted,
      grid,
      ticks: grid,
      size: 56,
      values: (_u, splits) => splits.map((v) => `${number(v)}${unit}`),
    },
  ];
}

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
  return new uPlot(
    {
      ...size(plot),
      scales: { y: { range: (_u, _min, max) => [0, Math.max(max ?? 0, tier.factor) * 1.15] } },
      axes: axes(colors, '×'),
      series: [
        {},
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
      scales: { y: { range: (_u, min, max) => [Math.min(0, min ?? 0), Math.max(100, max ?? 0)] } },
      axes: axes(colors, '%'),
      series: [
        {},
        {
          label: 'budget left',
          // From the raw SLI sampled hourly or so (see budgetStepSeconds): the steps between are not gaps.
          spanGaps: true,
          points: { show: known < 40, size: 6, fill: colors.budget },
          stroke: colors.budget,
          fill: `${colors.budget}33`,
          width: 2,
          value: (_u, v) => (v === null || v === undefined ? '–' : `${number(v)}%`),
        },
      ],
    },
    [history.timestamps, left],
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
  }
  new ResizeObserver(() => {
    for (const chart of charts) chart.setSize(size(chart.root.parentElement));
  }).observe(root);
}
