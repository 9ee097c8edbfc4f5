import { parseDuration } from '../policy/duration.ts';

/** A flag that takes a positive duration: its milliseconds, or a message saying what is wrong. */
export function durationFlag(flag: string, value: string, example: string): number | string {
  const ms = parseDuration(value);
  return ms ? ms : `${flag} ${JSON.stringify(value)} is not a positive duration such as ${example}`;
}
