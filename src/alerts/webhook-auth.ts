/**
 * Optional credentials on the webhook, in the two forms Alertmanager's `http_config` sends:
 * `authorization: {credentials: T}` (Authorization: Bearer T) and `basic_auth: {username, password}`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export interface WebhookAuth {
  bearerToken?: string;
  basicAuth?: { username: string; password: string };
}

export type AuthCheck = 'ok' | 'missing' | 'wrong';

/** `user:pass` (the password may contain colons, the user may not), or undefined when there is no colon. */
export function parseBasicAuth(text: string): WebhookAuth['basicAuth'] {
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Checks an Authorization header against what is configured; with both forms configured either passes.
 * Compares digests, which always have the same length, in constant time: how long a wrong guess takes
 * tells nothing about how much of it was right, nor how long the secret is.
 */
export function webhookAuthorizer(
  auth: WebhookAuth,
): ((header: string | undefined) => AuthCheck) | undefined {
  const expected = new Map<string, Buffer>();
  if (auth.bearerToken !== undefined) expected.set('bearer', digest(auth.bearerToken));
  if (auth.basicAuth !== undefined) {
    expected.set('basic', digest(`${auth.basicAuth.username}:${auth.basicAuth.password}`));
  }
  if (expected.size === 0) return undefined;
  return (header) => {
    const match = /^\s*(\S+)\s+(.+?)\s*$/.exec(header ?? '');
    if (!match) return 'missing';
    const scheme = (match[1] as string).toLowerCase();
    const want = expected.get(scheme);
    if (!want) return 'missing';
    const given =
      scheme === 'basic' ? Buffer.from(match[2] as string, 'base64').toString('utf8') : (match[2] as string);
    return timingSafeEqual(digest(given), want) ? 'ok' : 'wrong';
  };
}

/** The WWW-Authenticate challenges a 401 carries, one per configured scheme. */
export function authChallenges(auth: WebhookAuth): string[] {
  return [
    ...(auth.bearerToken === undefined ? [] : ['Bearer realm="burnbook"']),
    ...(auth.basicAuth === undefined ? [] : ['Basic realm="burnbook", charset="UTF-8"']),
  ];
}
