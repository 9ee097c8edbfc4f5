import type { LabelMatcher } from './parse.ts';

/**
 * Histogram bucket boundaries (`le`) are label values, so a rule matches a bucket only when it spells
 * the boundary the way the exporter did, and exporters spell the same float differently:
 * - Go's shortest `%g` (client_golang, `strconv.FormatFloat(f, 'g', -1, 64)`): `0.25`, `1`, `1e+06`, `8e-05`;
 * - Prometheus 3, which normalises classic-histogram `le` values on scrape: `1.0`, `100.0`, `1e+06`;
 * - Java's `Double.toString` (Micrometer, client_java): `0.268435456`, `1.0`, `1.0E7`, `1.0E-4`;
 * - Python's `repr` (client_python, Go-style above 1e6): `1.0`, `0.0001`, `1e-05`;
 * - plain decimals (Rust's `Display`, hand-written exporters): `1000000`, `0.00001`;
 * - JavaScript's `String` (prom-client): `1e-7`, `1e+21`;
 * - and the digits the spec's author wrote, trailing zeros and all (`0.250`).
 * Each names the float exactly, so matching all of them matches that bucket and no other.
 */
export function leSpellings(digits: string): string[] {
  const value = Number(digits);
  const { mantissa, exponent } = shortest(value);
  const go = goShortest(mantissa, exponent);
  const prometheus3 = /[.e]/.test(go) ? go : `${go}.0`;
  return [
    ...new Set([
      digits,
      go,
      prometheus3,
      javaToString(mantissa, exponent),
      pythonRepr(mantissa, exponent),
      plainDecimal(mantissa, exponent),
      String(value),
    ]),
  ];
}

/** An exact matcher for every spelling of the bucket boundary `digits`: `le=~"0\.25|0\.250"`. */
export function leMatcher(digits: string): LabelMatcher {
  const spellings = leSpellings(digits);
  if (spellings.length === 1) return { name: 'le', op: '=', value: digits };
  return { name: 'le', op: '=~', value: spellings.map((s) => s.replace(/[.+]/g, '\\$&')).join('|') };
}

/** The shortest digits that name `value` (the same digits Go, Java 19+ and Python pick), as d.ddd × 10^exponent. */
function shortest(value: number): { mantissa: string; exponent: number } {
  const [m = '0', e = '0'] = value.toExponential().split('e');
  return { mantissa: m.replace('.', ''), exponent: Number(e) };
}

/** `digits` with the decimal point after `point` digits, zero-padded as needed. */
function placePoint(digits: string, point: number): string {
  if (point <= 0) return `0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return digits + '0'.repeat(point - digits.length);
  return `${digits.slice(0, point)}.${digits.slice(point)}`;
}

function withFraction(mantissa: string): string {
  return mantissa.length > 1 ? `${mantissa[0]}.${mantissa.slice(1)}` : (mantissa[0] as string);
}

function goShortest(mantissa: string, exponent: number): string {
  if (exponent < -4 || exponent >= 6) {
    const sign = exponent < 0 ? '-' : '+';
    return `${withFraction(mantissa)}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return plainDecimal(mantissa, exponent);
}

function javaToString(mantissa: string, exponent: number): string {
  if (exponent >= -3 && exponent < 7) {
    const plain = plainDecimal(mantissa, exponent);
    return plain.includes('.') ? plain : `${plain}.0`;
  }
  return `${mantissa[0]}.${mantissa.slice(1) || '0'}E${exponent}`;
}

function pythonRepr(mantissa: string, exponent: number): string {
  if (exponent >= 6) return goShortest(mantissa, exponent);
  if (exponent < -4) {
    return `${withFraction(mantissa)}e-${String(-exponent).padStart(2, '0')}`;
  }
  const plain = plainDecimal(mantissa, exponent);
  return plain.includes('.') ? plain : `${plain}.0`;
}

function plainDecimal(mantissa: string, exponent: number): string {
  return placePoint(mantissa, exponent + 1);
}
