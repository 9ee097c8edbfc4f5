// The incident page's chart: the error ratio across the incident with each tier's threshold and the budget
// rate, drawn with uPlot from the page's own data attribute (JSON the server escaped for an attribute).
const figure = document.querySelector('[data-incident-chart]');
if (figure) drawIncident(figure);

function drawIncident(figure) {
  const status = figure.querySelector('[data-chart-status]');
  if (typeof uPlot !== 'function') {
    status.textContent = 'No chart: the chart library did not load.';
    return;
  }
  const data = JSON.parse(figure.dataset.incidentChart);
  const css = getComputedStyle(document.documentElement);
  const color = (name) => css.getPropertyValue(name).trim();
  const number = (v) => (v === null || v === undefined ? '–' : String(Number(v.toPrecision(3))));
  const grid = { stroke: color('--line'), width: 1 };
  const plot = figure.querySelector('.plot');
  const width = Math.max(280, plot.clientWidth);
  const dashes = [color('--page'), color('--ticket'), color('--muted')];
  const max = Math.max(...data.ratios.filter((v) => v !== null), ...data.thresholds.map((t) => t.ratio), 0);
  const chart = new uPlot(
    {
      width,
      height: width < 500 ? 200 : 260,
      scales: { y: { range: () => [0, Math.min(1, max * 1.15) || 1] } },
      axes: [
        { stroke: color('--muted'), grid, ticks: grid },
        { stroke: color('--muted'), grid, ticks: grid, size: 56, values: (_u, splits) => splits.map(number) },
      ],
      series: [
        {},
        {
          label: `error ratio (${data.window})`,
          stroke: color('--link'),
          width: 2,
          value: (_u, v) => number(v),
        },
        ...data.thresholds.map((t, i) => ({
          label: t.label,
          stroke: dashes[Math.min(i, dashes.length - 1)],
          width: 1.5,
          dash: [6, 4],
          value: (_u, v) => number(v),
        })),
      ],
    },
    [data.timestamps, data.ratios, ...data.thresholds.map((t) => data.timestamps.map(() => t.ratio))],
    plot,
  );
  new ResizeObserver(() =>
    chart.setSize({ width: Math.max(280, plot.clientWidth), height: chart.height }),
  ).observe(figure);
}
