/**
 * The receiver benchmark's webhook bodies, declared once: wrk's Lua script (HTTP cases), the SQLite ceiling
 * writer and the realistic load all send the same alerts. Like Alertmanager's (version 4), with the labels
 * and annotations of burnbook's alerts.
 */

// string.format's placeholders, so Lua and TypeScript fill the same text: %d the tenant, %08x the alert's number.
const ALERT = `{"status":"firing","labels":{"alertname":"availability-fast-burn","severity":"page","slo":"availability","slo_service":"checkout","slo_tier":"fast","team":"payments","tenant":"tenant-%d"},"annotations":{"summary":"checkout/availability (tenant=tenant-%d) is burning its error budget 14.4x too fast","description":"Error ratio over 1h is 0.0913, above 0.072 (14.4 x the 0.5%% error budget of a 99.5%% objective), and over 5m as well. At this rate the 30d budget (216 min of full outage) is gone in 50 h; 2%% of it is spent within 1h.","runbook_url":"http://127.0.0.1:8080/runbooks/checkout/availability-fast-burn"},"startsAt":"2026-11-22T23:49:59.000Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus:9090/graph?g0.expr=slo%%3Asli_error%%3Aratio_rate1h&g0.tab=1","fingerprint":"%s%08x"}`;
const BODY_BEFORE = '{"receiver":"burnbook","status":"firing","alerts":[';
const BODY_AFTER = `],"groupLabels":{"slo":"availability","slo_service":"checkout"},"commonLabels":{"alertname":"availability-fast-burn","severity":"page","slo":"availability","slo_service":"checkout","slo_tier":"fast","team":"payments"},"commonAnnotations":{},"externalURL":"http://alertmanager:9093","version":"4","groupKey":"{}:{slo_service=checkout}","truncatedAlerts":0}`;

/** A prefix for one run's fingerprints, so they never collide with an earlier run against the same store. */
export function runPrefix(): string {
  return Math.floor(Math.random() * 0xffffffff)
    .toString(16)
    .padStart(8, '0');
}

/** One body, as JSON text, holding alerts number `ids` of the run `run`. */
export function webhookBody(run: string, ids: readonly number[]): string {
  const alert = (id: number) => {
    const values = [String(id % 1000), String(id % 1000), run, id.toString(16).padStart(8, '0')];
    return ALERT.replace(/%(%|d|s|08x)/g, (_, kind: string) =>
      kind === '%' ? '%' : (values.shift() as string),
    );
  };
  return `${BODY_BEFORE}${ids.map(alert).join(',')}${BODY_AFTER}`;
}

/**
 * A wrk script posting webhook bodies of `alerts` alerts. `fresh`: every alert of every request has a new
 * fingerprint (a new alert to insert); otherwise the same body again (an alert seen before: a receipt).
 */
export function webhookScript(alerts: number, fresh: boolean): string {
  return `
local n = 0
local function alert(id)
  return string.format([[${ALERT}]], id % 1000, id % 1000, "${runPrefix()}", id)
end
local function body()
  local parts = {}
  for i = 1, ${alerts} do
    n = n + 1
    parts[i] = alert(n)
  end
  return [[${BODY_BEFORE}]] .. table.concat(parts, ",") .. [[${BODY_AFTER}]]
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
${fresh ? 'request = function() return wrk.format(nil, nil, nil, body()) end' : 'wrk.body = body()'}
`;
}
