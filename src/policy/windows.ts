/** The 5m rate recordings every longer window is built from: the only rules that read the raw series. */
export const BASE_WINDOW_MS = 5 * 60_000;
