import { styleText } from 'node:util';

/** Terminal output: colour only on a TTY, progress on stderr so stdout stays pipeable. */

const color = process.stdout.isTTY && !process.env.NO_COLOR;
type Style = Parameters<typeof styleText>[0];

export function paint(style: Style, text: string): string {
  return color ? styleText(style, text) : text;
}

export function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Exit codes: 0 fine; 1 the input or the checked thing is wrong; 2 usage; 3 the environment. */
export const EXIT = { ok: 0, invalid: 1, usage: 2, environment: 3 } as const;
