import type { Page } from 'playwright-core';

/** Where a chart's canvas has pixels of one colour: how many, and in which rows and columns. */
export interface ColourPixels {
  count: number;
  width: number;
  height: number;
  /** Matching pixels per row (top first) and per column (left first). */
  rows: number[];
  columns: number[];
}

/**
 * The pixels of the first canvas under `selector` drawn in the page's CSS variable `cssVariable` (a
 * `#rrggbb` colour) at an opacity within `alpha` (0–255): an opaque line, or a translucent shade.
 */
export function colourPixels(
  page: Page,
  selector: string,
  cssVariable: string,
  alpha: [min: number, max: number] = [200, 255],
): Promise<ColourPixels> {
  return page.evaluate(
    ([selector, variable, low, high]) => {
      const canvas = document.querySelector(`${selector} canvas`) as HTMLCanvasElement | null;
      if (!canvas) return { count: -1, width: 0, height: 0, rows: [], columns: [] };
      const hex = getComputedStyle(document.documentElement)
        .getPropertyValue(variable as string)
        .trim();
      const rgb = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
      const { width, height } = canvas;
      const { data } = (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(
        0,
        0,
        width,
        height,
      );
      const rows = new Array<number>(height).fill(0);
      const columns = new Array<number>(width).fill(0);
      let count = 0;
      for (let i = 0; i < data.length; i += 4) {
        const a = data[i + 3] as number;
        if (a < (low as number) || a > (high as number)) continue;
        if (!rgb.every((c, k) => Math.abs((data[i + k] as number) - (c as number)) < 14)) continue;
        const pixel = i / 4;
        count++;
        (rows[Math.floor(pixel / width)] as number)++;
        (columns[pixel % width] as number)++;
      }
      return { count, width, height, rows, columns };
    },
    [selector, cssVariable, alpha[0], alpha[1]] as const,
  );
}
