import { chooser } from './random.ts';

const JUNK = [
  '',
  ' ',
  '\t',
  '#',
  '{{',
  '}}',
  '{{ team }}',
  '{{ $labels.x }}',
  '\\x2e',
  '\\d',
  '\\u00e9',
  '"',
  "'",
  '`',
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '- ',
  '&a ',
  '*a',
  '<<: *a',
  '!!str ',
  '~',
  'null',
  '.inf',
  '-1',
  '0',
  '1e308',
  '99.99999999',
  '0.000000001',
  '100',
  'é',
  '😀',
  'http.route',
  '"http.route"',
  '__name__',
  'slo_tier',
  'tenant',
  'sum(',
  'rate(x[5m])',
  ' or ',
  ' # c',
  '\n',
  '\r\n',
  '\uFEFF',
  'x'.repeat(300),
  '1d',
  '0s',
  '5m',
  'fast',
  'very-slow',
];

/** A spec text with one to three random line edits: deletions, duplicates, junk spliced in, values swapped. */
export function mutate(text: string, next: () => number): string {
  const { int, pick } = chooser(next);
  let out = text;
  for (let n = int(3) + 1; n > 0; n--) {
    const lines = out.split('\n');
    const at = int(lines.length);
    const line = lines[at] ?? '';
    switch (int(6)) {
      case 0:
        lines.splice(at, 1);
        break;
      case 1:
        lines.splice(at, 0, line);
        break;
      case 2: {
        const col = int(line.length + 1);
        lines[at] = line.slice(0, col) + pick(JUNK) + line.slice(col);
        break;
      }
      case 3:
        lines[at] = line.replace(/: .*$/, `: ${pick(JUNK)}`);
        break;
      case 4:
        lines[at] = line.replace(/[0-9.]+/, pick(['0', '100', '0.5', '1e-9', '12345678901', '-3', '']));
        break;
      default: {
        const col = int(line.length);
        lines[at] = line.slice(0, col) + line.slice(col + int(4) + 1);
      }
    }
    out = lines.join('\n');
  }
  return out;
}
