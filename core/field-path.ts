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

/**
 * Names that are not fields in JavaScript: `__proto__` is an object's prototype link, `constructor`
 * and `prototype` reach a class and its prototype. A mapped path through one (`__proto__.isAdmin`)
 * would read and write the prototype every object shares, so no mapped path may hold one.
 */
export const RESERVED_FIELD_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Why a well-formed field path cannot be mapped because one of its segments is a
 * {@link RESERVED_FIELD_NAMES reserved name}, naming the segment; undefined when none is.
 */
export function reservedSegmentProblem(path: string): string | undefined {
  const reserved = path.split('.').find((segment) => RESERVED_FIELD_NAMES.has(segment));
  if (reserved === undefined) return undefined;
  return `"${path}" cannot be mapped: "${reserved}" is not a field name but ${reserved === '__proto__' ? "a JavaScript object's prototype link" : `the ${reserved} of a JavaScript object`}, and a path through it would read and write the prototype every object shares; rename the field`;
}

/**
 * Sets `key` as an own, enumerable property of `target`, even when it is `__proto__` (plain
 * assignment would replace the object's prototype instead), as `JSON.parse` does.
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

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

/**
 * Sets `value` at `segments` in `root`, creating intermediate objects. Mutates `root`. Reads and
 * writes own properties only ({@link setOwn}): a segment such as `__proto__` or `constructor` is a
 * field of `root`'s own, never the way to a prototype.
 */
export function setAtPath(root: Record<string, unknown>, segments: readonly string[], value: unknown): void {
  let current: Record<string, unknown> = root;
  const last = segments.length - 1;
  for (let i = 0; i < last; i++) {
    const segment = segments[i] as string;
    const next = Object.hasOwn(current, segment) ? current[segment] : undefined;
    if (isPlainObject(next)) {
      current = next;
    } else {
      const created: Record<string, unknown> = {};
      setOwn(current, segment, created);
      current = created;
    }
  }
  setOwn(current, segments[last] as string, value);
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
