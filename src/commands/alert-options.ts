import type { AlertSettings } from '../alerts/plugin.ts';
import { parseBasicAuth } from '../alerts/webhook-auth.ts';
import { formatDuration } from '../policy/duration.ts';
import { durationFlag } from './duration-flag.ts';
import type { AlertFlags } from './flags.ts';

/** Settings from the flags, or a message for the user saying what is wrong with them. */
export function alertSettings(flags: AlertFlags): AlertSettings | string {
  const retentionMs = durationFlag('--retention', flags.retention, '90d or 12w');
  if (typeof retentionMs === 'string') return retentionMs;
  const basicAuth = flags.webhookBasicAuth === undefined ? undefined : parseBasicAuth(flags.webhookBasicAuth);
  if (flags.webhookBasicAuth !== undefined && basicAuth === undefined) {
    return '--webhook-basic-auth expects user:password (the user must not be empty)';
  }
  if (flags.webhookBearerToken === '') return '--webhook-bearer-token must not be empty';
  return {
    retentionMs,
    webhookAuth: {
      ...(flags.webhookBearerToken === undefined ? {} : { bearerToken: flags.webhookBearerToken }),
      ...(basicAuth === undefined ? {} : { basicAuth }),
    },
  };
}

/** One line for the startup log: where alerts go in and how long they stay. */
export function describeAlertSettings(settings: AlertSettings, webhookUrl: string, store: string): string {
  const auth = settings.webhookAuth ?? {};
  const schemes = [auth.bearerToken && 'a bearer token', auth.basicAuth && 'basic auth'].filter(Boolean);
  const required = schemes.length ? `requires ${schemes.join(' or ')}` : 'takes requests without credentials';
  const kept =
    settings.retentionMs === undefined
      ? ''
      : `; resolved alerts kept ${formatDuration(settings.retentionMs)}`;
  return `Alertmanager webhook at ${webhookUrl} ${required}; alert history in ${store}${kept}`;
}
