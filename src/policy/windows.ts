/** The 5m rate recordings every longer window is built from: the only rules that read the raw series. */
export const BASE_WINDOW_MS = 5 * 60_000;

/**
 * The longest SLO period, in milliseconds: 365 days. Windows, `for` and the start records' probes reach
 * at most a period back, so every duration in the rules stays far inside Prometheus's range
 * (`PROMETHEUS_MAX_DURATION_MS`); and a longer period outlives any usual retention, so its windows could
 * never be read whole.
 */
export const MAX_PERIOD_MS = 365 * 86_400_000;
