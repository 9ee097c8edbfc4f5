/**
 * Go's `printf "%.3g"`, which alert annotations use to print `$value`. Generated promtool
 * tests must predict the rendered annotation text exactly, so this mirrors Go's rules:
 * three significant digits, trailing zeros dropped, exponent form below 1e-4 or from 1e3.
 */
export function goPrintfG3(x: number): string {
  if (x === 0) return '0';
  const [mantissa, exp] = x.toExponential(2).split('e') as [string, string];
  const e = Number(exp);
  if (e < -4 || e >= 3) {
    const m = mantissa.replace(/\.?0+$/, '');
    return `${m}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  return (
    Number(x.toPrecision(3))
      .toFixed(Math.max(0, 2 - e))
      .replace(/\.?0+$/, '') || '0'
  );
}
