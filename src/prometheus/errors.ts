/**
 * Every way a Prometheus call fails, reduced to what a caller decides on:
 * - `bad_data`: the request itself is wrong (bad PromQL, bad parameters); retrying will not help.
 * - `unavailable`: Prometheus could not be reached or could not serve the request now; retry later.
 * - `timeout`: no complete answer within the client's timeout, or Prometheus gave up on the query.
 * - `http`: anything else (authentication, a wrong path prefix, a proxy's error page, a malformed body).
 */
export type PrometheusErrorKind = 'bad_data' | 'unavailable' | 'timeout' | 'http';

export interface PrometheusErrorDetails {
  /** The endpoint that was called, without credentials. */
  url: string;
  /** HTTP status, when a response arrived. */
  status?: number;
  /** Prometheus's own `errorType` (`bad_data`, `execution`, `timeout`, ...), when it sent one. */
  errorType?: string;
  cause?: unknown;
}

export class PrometheusError extends Error {
  override readonly name = 'PrometheusError';
  readonly url: string;
  readonly status: number | undefined;
  readonly errorType: string | undefined;

  constructor(
    readonly kind: PrometheusErrorKind,
    message: string,
    details: PrometheusErrorDetails,
  ) {
    super(message, { cause: details.cause });
    this.url = details.url;
    this.status = details.status;
    this.errorType = details.errorType;
  }
}

// Prometheus answers `execution` when a well-formed query cannot run as written (many-to-many matching,
// too many samples): the caller's to fix, like bad_data. `internal` is a storage failure, usually passing.
const KIND_BY_ERROR_TYPE: Record<string, PrometheusErrorKind> = {
  bad_data: 'bad_data',
  execution: 'bad_data',
  timeout: 'timeout',
  canceled: 'unavailable',
  unavailable: 'unavailable',
  internal: 'unavailable',
};

/** The kind for an error envelope's `errorType`. */
export function kindForErrorType(errorType: string): PrometheusErrorKind {
  return KIND_BY_ERROR_TYPE[errorType] ?? 'http';
}

// For answers without an envelope: proxies and gateways in front of Prometheus (Thanos, Mimir, nginx).
const KIND_BY_STATUS: Record<number, PrometheusErrorKind> = {
  400: 'bad_data',
  422: 'bad_data',
  408: 'timeout',
  504: 'timeout',
  429: 'unavailable',
  502: 'unavailable',
  503: 'unavailable',
};

/** The kind for an HTTP error status that came without a Prometheus error envelope. */
export function kindForStatus(status: number): PrometheusErrorKind {
  return KIND_BY_STATUS[status] ?? 'http';
}
