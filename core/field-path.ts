import { compareDecimal, ExactNumber, numberText } from './exact-number.js';

/**
 * Dot-separated field paths (`person.name.firstName`) used by mapped attributes and by the
 * profile writer's record of written fields.
 */

/** One field name inside a path: letters, digits, `_` and `-`, not starting with `-`. */
export const FIELD_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

/** Top-level profile fields that are not attributes and so can never be mapped or written as one. */
export const NON_ATTRIBUTE_FIELDS: ReadonlySet<string> = new Set([
  'profileId',
  'identityMap',
  'segmentMembership',
]);

/** The reserved top-level attribute that holds the profile writer's bookkeeping. */
export const BOOKKEEPING_FIELD = '__kd';

/** Returns true when `path` is a well-formed dot-separated field path. */
export function isFieldPath(path: string): boolean {
  if (path.length === 0 || path.length > 1024) return false;
  return path.split('.').every((segment) => FIELD_NAME_PATTERN.test(segment));
}

/** Splits a field path into its segments. The caller has validated it with {@link isFieldPath}. */
export function splitPath(path: string): string[] {
  return path.split('.');
}

/**
 * Reads the value at `segments` from a plain JSON object, or `undefined` when any step is
 * missing or not an object. Arrays are values, never traversed.
 */
export function getAtPath(root: unknown, segments: readonly string[]): unknown {
  let current: unknown = root;
  for (const segment of segments) {
    if (!isPlainObject(current)) return undefined;
    current = Object.hasOwn(current, segment) ? current[segment] : undefined;
    if (current === undefined) return undefined;
  }
  return current;
}

/** Sets `value` at `segments` in `root`, creating intermediate objects. Mutates `root`. */
export function setAtPath(root: Record<string, unknown>, segments: readonly string[], value: unknown): void {
  let current: Record<string, unknown> = root;
  const last = segments.length - 1;
  for (let i = 0; i < last; i++) {
    const segment = segments[i] as string;
    const next = current[segment];
    if (isPlainObject(next)) {
      current = next;
    } else {
      const created: Record<string, unknown> = {};
      current[segment] = created;
      current = created;
    }
  }
  current[segments[last] as string] = value;
}

/**
 * True for `{…}` values: plain objects (not arrays, not null, not class instances such as an
 * `ExactNumber`, a `Set` or bytes).
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function numbersEqual(a: unknown, b: unknown): boolean {
  const isNumber = (v: unknown): v is number | ExactNumber =>
    typeof v === 'number' || v instanceof ExactNumber;
  return isNumber(a) && isNumber(b) && compareDecimal(numberText(a), numberText(b)) === 0;
}

/**
 * Structural equality of two JSON values; numbers compare by value, exactly (an `ExactNumber`
 * included). Used only on small, mapped sub-values (an attribute, the identity map), never on whole
 * profiles.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null)
    return (a instanceof ExactNumber || b instanceof ExactNumber) && numbersEqual(a, b);
  if (a instanceof ExactNumber || b instanceof ExactNumber) return numbersEqual(a, b);
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const aKeys = Object.keys(ao);
  if (aKeys.length !== Object.keys(bo).length) return false;
  for (const key of aKeys) {
    if (!Object.hasOwn(bo, key) || !jsonEqual(ao[key], bo[key])) return false;
  }
  return true;
}
