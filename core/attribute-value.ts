/**
 * DynamoDB's attribute values (the JSON a Lambda event carries) to plain JSON values, by one
 * documented mapping (README, "The profile document"):
 *
 * | DynamoDB | JSON |
 * |---|---|
 * | `S` | string |
 * | `N` | number, with exactly the digits DynamoDB stores (`ExactNumber` beyond a JS number's precision) |
 * | `BOOL`, `NULL` | `true`/`false`, `null` |
 * | `M`, `L` | object, array |
 * | `SS` | array of strings in code point order (DynamoDB's UTF-8 byte order) |
 * | `NS` | array of numbers in ascending numeric order |
 * | `B` | base64 string |
 * | `BS` | array of base64 strings in byte order |
 *
 * Sets come out sorted, so a set DynamoDB returns in another order maps to the same value, and
 * comparing mapped values compares sets as sets. Pure: no SDK. Never throws: a value that cannot be
 * mapped comes back as a problem naming its field.
 */
import { compareDecimal, isDecimalText, numberFromText, toJsonNumberText } from './exact-number.js';
import { FIELD_NAME_PATTERN } from './field-path.js';

/**
 * DynamoDB's nesting limit: "up to 32 levels deep", the item being the first level. Measured on
 * DynamoDB Local: a top-level attribute holding 31 nested maps or lists is stored, 32 are refused.
 */
export const MAX_NESTING_LEVELS = 32;

/** The JSON value of an image, or the field that cannot be mapped and why. */
export type UnmarshallResult =
  | { readonly ok: true; readonly value: Record<string, unknown> }
  | { readonly ok: false; readonly field: string; readonly reason: string };

/** Options of {@link unmarshallImage}. */
export interface UnmarshallOptions {
  /** Top-level attributes to map; the others are left out. @default - every attribute */
  readonly fields?: ReadonlySet<string>;
}

class ValueProblem {
  readonly path: (string | number)[] = [];
  constructor(readonly reason: string) {}
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function base64Of(value: unknown): string {
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (typeof value === 'string' && BASE64.test(value)) return value;
  throw new ValueProblem('B must be base64 text');
}

/** Orders strings by code point (UTF-16 code units order surrogate pairs before U+E000–U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x += x <= 0xdfff ? 0x2000 : -0x800;
    if (y >= 0xd800) y += y <= 0xdfff ? 0x2000 : -0x800;
    return x - y;
  }
  return a.length - b.length;
}

function compareBase64(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'base64'), Buffer.from(b, 'base64'));
}

function sortedSet(items: string[], compare: (a: string, b: string) => number): string[] {
  items.sort(compare);
  let kept = 0;
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as string;
    if (kept === 0 || compare(items[kept - 1] as string, item) !== 0) items[kept++] = item;
  }
  items.length = kept;
  return items;
}

function members(value: unknown, type: string): unknown[] {
  if (!Array.isArray(value)) throw new ValueProblem(`${type} must be an array`);
  return value;
}

function numberOf(text: unknown): unknown {
  if (typeof text === 'string') {
    // Fast path: a number whose own text is `text` (DynamoDB's canonical text of most numbers).
    const value = Number(text);
    if (String(value) === text && Number.isFinite(value)) return value;
  }
  if (typeof text !== 'string' || !isDecimalText(text))
    throw new ValueProblem('N must be a decimal number as text');
  return numberFromText(toJsonNumberText(text));
}

function setMember(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  else object[key] = value;
}

function mapOf(attributes: unknown, level: number): Record<string, unknown> {
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes))
    throw new ValueProblem('M must be an object of attribute values');
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(attributes)) {
    try {
      setMember(out, key, convert((attributes as Record<string, unknown>)[key], level + 1));
    } catch (problem) {
      if (problem instanceof ValueProblem) problem.path.unshift(key);
      throw problem;
    }
  }
  return out;
}

function listOf(items: unknown, level: number): unknown[] {
  const list = members(items, 'L');
  const out = new Array<unknown>(list.length);
  for (let i = 0; i < list.length; i++) {
    try {
      out[i] = convert(list[i], level + 1);
    } catch (problem) {
      if (problem instanceof ValueProblem) problem.path.unshift(i);
      throw problem;
    }
  }
  return out;
}

/** One attribute value at nesting `level` (a top-level attribute's value is level 2). */
function convert(av: unknown, level: number): unknown {
  if (typeof av !== 'object' || av === null || Array.isArray(av))
    throw new ValueProblem('is not a DynamoDB attribute value (an object such as {"S": "…"})');
  let type: string | undefined;
  for (const key in av) {
    if (type !== undefined) throw new ValueProblem(`has more than one type (${type}, ${key})`);
    type = key;
  }
  const inner = (av as Record<string, unknown>)[type ?? ''];
  switch (type) {
    case 'S':
      if (typeof inner !== 'string') throw new ValueProblem('S must be a string');
      return inner;
    case 'N':
      return numberOf(inner);
    case 'BOOL':
      if (typeof inner !== 'boolean') throw new ValueProblem('BOOL must be true or false');
      return inner;
    case 'NULL':
      if (inner !== true) throw new ValueProblem('NULL must be true');
      return null;
    case 'M':
    case 'L':
      if (level > MAX_NESTING_LEVELS)
        throw new ValueProblem(`is nested deeper than DynamoDB's ${MAX_NESTING_LEVELS} levels`);
      return type === 'M' ? mapOf(inner, level) : listOf(inner, level);
    case 'B':
      return base64Of(inner);
    case 'SS':
      return sortedSet(
        members(inner, 'SS').map((s) => {
          if (typeof s !== 'string') throw new ValueProblem('SS must hold strings');
          return s;
        }),
        compareCodePoints,
      );
    case 'NS':
      return sortedSet(
        members(inner, 'NS').map((n) => {
          if (typeof n !== 'string' || !isDecimalText(n))
            throw new ValueProblem('NS must hold decimal numbers as text');
          return toJsonNumberText(n);
        }),
        compareDecimal,
      ).map(numberFromText);
    case 'BS':
      return sortedSet(members(inner, 'BS').map(base64Of), compareBase64);
    case undefined:
      throw new ValueProblem('has no type (an empty attribute value)');
    default:
      throw new ValueProblem(`has an unknown type "${type}"`);
  }
}

/** A field path as the README and rejects write it: `person.tags[2]`, `attrs["odd key"]`. */
export function formatFieldPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (FIELD_NAME_PATTERN.test(part)) out += out.length === 0 ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

/**
 * Maps a DynamoDB item image (attribute name → attribute value, as a Lambda event or the SDK gives
 * it: `B` as base64 text or bytes) to its JSON value. Never throws.
 */
export function unmarshallImage(image: unknown, options: UnmarshallOptions = {}): UnmarshallResult {
  if (typeof image !== 'object' || image === null || Array.isArray(image))
    return { ok: false, field: '', reason: 'is not an item image (an object of attribute values)' };
  const source = image as Record<string, unknown>;
  const value: Record<string, unknown> = {};
  const names = options.fields === undefined ? Object.keys(source) : options.fields;
  for (const name of names) {
    if (!Object.hasOwn(source, name)) continue;
    try {
      setMember(value, name, convert(source[name], 2));
    } catch (problem) {
      if (problem instanceof ValueProblem)
        return { ok: false, field: formatFieldPath([name, ...problem.path]), reason: problem.reason };
      const kind = problem instanceof Error ? problem.name : typeof problem;
      return { ok: false, field: formatFieldPath([name]), reason: `cannot be mapped (${kind})` };
    }
  }
  return { ok: true, value };
}
