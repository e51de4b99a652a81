/**
 * Number flags, read one strict way by every command: digits only, as an operator types a count.
 * `Number()` alone reads `0x10` as 16, `1e3` as 1000, `" 5"` and `"+5"` as 5, and `"5.0"` as a whole
 * number — a typo or a pasted value would then be taken for a different amount without a word.
 */
import { UsageError } from '../core/errors.js';

/** A whole number as people write one: no sign, no leading zero, no spaces, no exponent, no hex. */
const WHOLE = /^(0|[1-9][0-9]*)$/;
/** A decimal as people write one: a whole part, optionally a point and digits (`0.5`, `12.25`). */
const DECIMAL = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/** Bounds of a number flag (inclusive unless said otherwise). */
export interface NumberFlagBounds {
  readonly min?: number;
  readonly max?: number;
  /** The minimum itself is not allowed (e.g. a share above 0). */
  readonly minExclusive?: boolean;
}

function range(bounds: NumberFlagBounds): string {
  const { min, max, minExclusive } = bounds;
  const fmt = (n: number) => n.toLocaleString('en-US');
  if (min !== undefined && max !== undefined)
    return minExclusive === true
      ? ` above ${fmt(min)} and at most ${fmt(max)}`
      : ` from ${fmt(min)} to ${fmt(max)}`;
  if (min !== undefined) return minExclusive === true ? ` above ${fmt(min)}` : ` ≥ ${fmt(min)}`;
  if (max !== undefined) return ` ≤ ${fmt(max)}`;
  return '';
}

function inBounds(n: number, bounds: NumberFlagBounds): boolean {
  if (bounds.min !== undefined && (bounds.minExclusive === true ? n <= bounds.min : n < bounds.min))
    return false;
  return bounds.max === undefined || n <= bounds.max;
}

/**
 * Reads a whole-number flag: digits only (`50`), within the bounds.
 * @throws UsageError naming the flag, the expected form and the value given.
 */
export function parseWholeFlag(value: string, flag: string, bounds: NumberFlagBounds = {}): number {
  const n = WHOLE.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || !inBounds(n, bounds)) {
    throw new UsageError(
      `${flag} must be a whole number${range(bounds)}, written with digits only (e.g. ${bounds.min !== undefined && bounds.min > 0 ? bounds.min : 10}), got "${value}"`,
    );
  }
  return n;
}

/**
 * Reads a decimal flag: digits with an optional fraction (`0.5`, `250`), within the bounds.
 * @throws UsageError naming the flag, the expected form and the value given.
 */
export function parseDecimalFlag(value: string, flag: string, bounds: NumberFlagBounds = {}): number {
  const n = DECIMAL.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(n) || !inBounds(n, bounds)) {
    throw new UsageError(
      `${flag} must be a number${range(bounds)}, written with digits and an optional decimal point (e.g. 0.5), got "${value}"`,
    );
  }
  return n;
}

/** {@link parseWholeFlag} for an optional flag. */
export function parseOptionalWholeFlag(
  value: string | undefined,
  flag: string,
  bounds: NumberFlagBounds = {},
): number | undefined {
  return value === undefined ? undefined : parseWholeFlag(value, flag, bounds);
}

/** {@link parseDecimalFlag} for an optional flag. */
export function parseOptionalDecimalFlag(
  value: string | undefined,
  flag: string,
  bounds: NumberFlagBounds = {},
): number | undefined {
  return value === undefined ? undefined : parseDecimalFlag(value, flag, bounds);
}
