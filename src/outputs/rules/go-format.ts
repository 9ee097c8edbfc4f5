/**
 * Go's `%g` (strconv.FormatFloat(x, 'g', precision, 64)), which alert templates print numbers with:
 * `printf "%.3g"`, `humanize` (`%.4g`), and `{{ $value }}` itself (`%v`, the shortest digits). Generated
 * promtool tests must predict the rendered text exactly, so this mirrors Go's rules: `precision`
 * significant digits (-1: as few as name the number), trailing zeros dropped, exponent form below 1e-4
 * or from 10^precision (10^6 for the shortest), with at least two exponent digits.
 */
export function goPrintfG(x: number, precision: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? '+Inf' : '-Inf';
  const shortest = precision < 0;
  const p = Math.max(precision, 1);
  const [mantissa, exp] = (shortest ? x.toExponential() : x.toExponential(p - 1)).split('e') as [
    string,
    string,
  ];
  const e = Number(exp);
  if (e < -4 || e >= (shortest ? 6 : p)) {
    const m = mantissa.includes('.') ? mantissa.replace(/\.?0+$/, '') : mantissa;
    return `${m}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  // Below 1e21 and from 1e-7 JavaScript prints plain decimals, with the shortest digits of the rounded value.
  return String(shortest ? x : Number(x.toPrecision(p)));
}

/** `printf "%.3g"`, what burnbook's own descriptions print `$value` with. */
export function goPrintfG3(x: number): string {
  return goPrintfG(x, 3);
}
