/**
 * Numbers exactly as DynamoDB stores them. A DynamoDB number has up to 38 significant digits; a
 * JavaScript number has about 17. A number whose text a JavaScript number reproduces exactly is
 * kept as a plain `number`; any other (beyond 2^53, many decimal digits) is an {@link ExactNumber}
 * holding its digits, which the JSON writer (`json-text.ts`) emits as a JSON number, digit for digit.
 */

/** A number whose digits a JavaScript number cannot hold; written to JSON exactly as `text`. */
export class ExactNumber {
  /** The number as JSON number text, e.g. `12345678901234567890123` or `0.1000000000000000055511151231257827`. */
  readonly text: string;

  constructor(text: string) {
    this.text = text;
  }

  /**
   * Counted by the JSON writer to notice exact numbers; a plain `JSON.stringify` gets the digits as
   * a string (never rounded).
   */
  toJSON(): string {
    exactNumbersSerialized += 1;
    return this.text;
  }

  toString(): string {
    return this.text;
  }
}

let exactNumbersSerialized = 0;

/** How many times an {@link ExactNumber} went through `JSON.stringify` (the writer's fast-path check). */
export function exactNumbersSeen(): number {
  return exactNumbersSerialized;
}

/** JSON's number grammar. */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
/** Decimal text as DynamoDB and people write it (`+1`, `.5`, `007`, `1.`, `1E+2`). */
const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** True when `text` is a decimal number (JSON's grammar, or DynamoDB's looser one). */
export function isDecimalText(text: string): boolean {
  const m = DECIMAL.exec(text);
  return m !== null && (m[2] !== '' || (m[3] ?? '') !== '');
}

/**
 * The JSON number text of decimal `text`: unchanged when it already is JSON (DynamoDB's canonical
 * form always is), else with the same digits and value in JSON's grammar (`+1` → `1`, `.5` → `0.5`,
 * `007` → `7`, `1.` → `1`). The caller has checked it with {@link isDecimalText}.
 */
export function toJsonNumberText(text: string): string {
  if (JSON_NUMBER.test(text)) return text;
  const m = DECIMAL.exec(text);
  if (m === null) return text;
  const sign = m[1] === '-' ? '-' : '';
  const integer = (m[2] ?? '').replace(/^0+(?=\d)/, '') || '0';
  const fraction = m[3] ?? '';
  const exponent = m[4] === undefined ? '' : `e${m[4]}`;
  return `${sign}${integer}${fraction === '' ? '' : `.${fraction}`}${exponent}`;
}

/**
 * The value of a JSON number text: a `number` when the number's own text is `text` (the digits
 * survive), else an {@link ExactNumber}.
 */
export function numberFromText(text: string): number | ExactNumber {
  const value = Number(text);
  return String(value) === text ? value : new ExactNumber(text);
}

/** A number as decimal text (`ExactNumber` digits, or a `number`'s shortest round-trip text). */
export function numberText(value: number | ExactNumber): string {
  return typeof value === 'number' ? String(value) : value.text;
}

/** A decimal as `0.<digits> × 10^point`, digits without leading or trailing zeros ('' for zero). */
interface Decimal {
  readonly negative: boolean;
  readonly digits: string;
  readonly point: number;
}

function parseDecimal(text: string): Decimal | undefined {
  const m = DECIMAL.exec(text);
  if (m === null) return undefined;
  const integer = m[2] ?? '';
  const fraction = m[3] ?? '';
  if (integer === '' && fraction === '') return undefined;
  let digits = integer + fraction;
  let point = integer.length + (m[4] === undefined ? 0 : Number(m[4]));
  let start = 0;
  while (start < digits.length && digits.charCodeAt(start) === 48) start++;
  let end = digits.length;
  while (end > start && digits.charCodeAt(end - 1) === 48) end--;
  digits = digits.slice(start, end);
  point -= start;
  if (digits === '') return { negative: false, digits: '', point: 0 };
  return { negative: m[1] === '-', digits, point };
}

function compareMagnitude(a: Decimal, b: Decimal): number {
  if (a.digits === '' || b.digits === '') return (a.digits === '' ? 0 : 1) - (b.digits === '' ? 0 : 1);
  if (a.point !== b.point) return a.point < b.point ? -1 : 1;
  return a.digits === b.digits ? 0 : a.digits < b.digits ? -1 : 1;
}

/**
 * Compares two decimal texts by value, exactly (`1.50` = `1.5`, `-2` < `1E-130`). Texts that are not
 * decimals sort after every number, by text.
 */
export function compareDecimal(a: string, b: string): number {
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  if (x === undefined || y === undefined) {
    if (x !== undefined) return -1;
    if (y !== undefined) return 1;
    return a === b ? 0 : a < b ? -1 : 1;
  }
  const xSign = x.digits === '' ? 0 : x.negative ? -1 : 1;
  const ySign = y.digits === '' ? 0 : y.negative ? -1 : 1;
  if (xSign !== ySign) return xSign < ySign ? -1 : 1;
  const magnitude = compareMagnitude(x, y);
  return xSign < 0 ? -magnitude : magnitude;
}

/** DynamoDB's number limits (AWS: "up to 38 digits of precision", 1E-130 to 9.99…E+125). */
export const DYNAMODB_NUMBER = { maxDigits: 38, minPoint: -129, maxPoint: 126 } as const;

/**
 * Why DynamoDB cannot store `value` exactly, or `undefined` when it can: more than 38 significant
 * digits, a magnitude outside 1E-130 … 9.99…E+125, or not a finite number.
 */
export function dynamoNumberProblem(value: number | ExactNumber): string | undefined {
  if (typeof value === 'number' && !Number.isFinite(value)) return 'is not a finite number';
  const decimal = parseDecimal(numberText(value));
  if (decimal === undefined) return 'is not a number';
  if (decimal.digits === '') return undefined;
  if (decimal.digits.length > DYNAMODB_NUMBER.maxDigits)
    return `has ${decimal.digits.length} significant digits; DynamoDB stores at most ${DYNAMODB_NUMBER.maxDigits}`;
  if (decimal.point > DYNAMODB_NUMBER.maxPoint)
    return 'is too large for DynamoDB (at most 9.9999999999999999999999999999999999999E+125)';
  if (decimal.point < DYNAMODB_NUMBER.minPoint) return 'is too close to zero for DynamoDB (at least 1E-130)';
  return undefined;
}
