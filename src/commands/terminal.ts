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

/**
 * One line on stderr that redraws in place while long work runs, on a terminal only (a pipe or a log
 * gets the summary lines alone). `text` is asked for the line every 200 ms, whenever the event loop
 * gets a turn, or when `tick` is called that long after the last draw (from work that keeps the event
 * loop busy); `done` clears it (once, however often it is called).
 */
export function statusLine(text: () => string): { tick: () => void; done: () => void } {
  if (!process.stderr.isTTY) return { tick: () => undefined, done: () => undefined };
  const started = Date.now();
  let drawn = started;
  const draw = () => {
    drawn = Date.now();
    process.stderr.write(`\r\x1b[K${text()} (${((drawn - started) / 1000).toFixed(1)} s)`);
  };
  const timer = setInterval(draw, 200);
  let cleared = false;
  return {
    tick: () => {
      if (Date.now() - drawn >= 200) draw();
    },
    done: () => {
      clearInterval(timer);
      if (!cleared) process.stderr.write('\r\x1b[K');
      cleared = true;
    },
  };
}
