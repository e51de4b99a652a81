import { describe, expect, it } from 'vitest';
import { parseDecimalFlag, parseWholeFlag } from '../../cli/flags.js';
import { UsageError } from '../../core/errors.js';

describe('parseWholeFlag()', () => {
  it.each([
    ['1', 1],
    ['50', 50],
    ['500', 500],
    ['0', 0],
  ])('reads %j as %d', (value, expected) => {
    expect(parseWholeFlag(value, '--rate', { min: 0, max: 500 })).toBe(expected);
  });

  it.each(['0x10', '1e3', ' 5', '5 ', '5.0', '+5', '-5', '05', '', 'ten', '1_000', '1,000', 'Infinity', '٥'])(
    'refuses %j with the flag name and the expected form',
    (value) => {
      const attempt = () => parseWholeFlag(value, '--rate', { min: 1, max: 500 });

      expect(attempt).toThrow(UsageError);
      expect(attempt).toThrow(
        `--rate must be a whole number from 1 to 500, written with digits only (e.g. 1), got "${value}"`,
      );
    },
  );

  it('refuses a number outside the bounds', () => {
    expect(() => parseWholeFlag('501', '--rate', { min: 1, max: 500 })).toThrow(/from 1 to 500/);
    expect(() => parseWholeFlag('0', '--limit', { min: 1 })).toThrow(
      '--limit must be a whole number ≥ 1, written with digits only (e.g. 1), got "0"',
    );
  });

  it('refuses a whole number beyond what a double holds exactly', () => {
    expect(() => parseWholeFlag('9007199254740993', '--limit')).toThrow(UsageError);
  });
});

describe('parseDecimalFlag()', () => {
  it.each([
    ['0.5', 0.5],
    ['1', 1],
    ['12.25', 12.25],
    ['5.0', 5],
  ])('reads %j as %d', (value, expected) => {
    expect(parseDecimalFlag(value, '--export-share', { min: 0, minExclusive: true, max: 100 })).toBe(
      expected,
    );
  });

  it.each(['0x10', '1e3', ' 5', '+5', '.5', '5.', '-0.5', '1,5', 'NaN'])('refuses %j', (value) => {
    expect(() => parseDecimalFlag(value, '--timeout', { min: 0, minExclusive: true })).toThrow(
      `--timeout must be a number above 0, written with digits and an optional decimal point (e.g. 0.5), got "${value}"`,
    );
  });

  it('refuses the excluded minimum', () => {
    expect(() => parseDecimalFlag('0', '--export-share', { min: 0, minExclusive: true, max: 1 })).toThrow(
      /above 0 and at most 1/,
    );
  });
});
