import { paint } from './terminal.ts';

/** A cell, optionally coloured; widths are measured on the plain text so colour never skews columns. */
export type Cell = string | { text: string; style: Parameters<typeof paint>[0] };

function text(cell: Cell): string {
  return typeof cell === 'string' ? cell : cell.text;
}

/** Left-aligned columns two spaces apart; the last column is not padded. */
export function table(header: string[], rows: Cell[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => text(r[i] ?? '').length)));
  const line = (cells: Cell[]) =>
    cells
      .map((cell, i) => {
        const padded = i === cells.length - 1 ? text(cell) : text(cell).padEnd(widths[i] ?? 0);
        return typeof cell === 'string' ? padded : paint(cell.style, padded);
      })
      .join('  ')
      .trimEnd();
  return [paint('bold', line(header)), ...rows.map(line)].join('\n');
}
