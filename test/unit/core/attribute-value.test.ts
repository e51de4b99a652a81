import { describe, expect, it } from 'vitest';
import { MAX_NESTING_LEVELS, unmarshallImage } from '../../../core/attribute-value.js';
import { ExactNumber } from '../../../core/exact-number.js';
import { stringifyExact } from '../../../core/json-text.js';

/** The image's value, failing the test when it cannot be mapped. */
function mapped(image: Record<string, unknown>): Record<string, unknown> {
  const result = unmarshallImage(image);
  if (!result.ok) throw new Error(`${result.field}: ${result.reason}`);
  return result.value;
}

function nested(levels: number, type: 'M' | 'L', leaf: unknown = { S: 'leaf' }): unknown {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = type === 'M' ? { M: { a: value } } : { L: [value] };
  return value;
}

describe('unmarshallImage(): the value mapping', () => {
  it.each([
    ['S', { S: 'John' }, 'John'],
    ['empty S', { S: '' }, ''],
    ['N (a double holds it)', { N: '42.5' }, 42.5],
    ['BOOL', { BOOL: false }, false],
    ['NULL', { NULL: true }, null],
    ['M', { M: { a: { S: 'x' } } }, { a: 'x' }],
    ['empty M', { M: {} }, {}],
    ['L', { L: [{ S: 'x' }, { N: '1' }] }, ['x', 1]],
    ['empty L', { L: [] }, []],
    ['B as Lambda gives it (base64)', { B: 'aGVsbG8=' }, 'aGVsbG8='],
    ['B as the SDK gives it (bytes)', { B: new Uint8Array([104, 101, 108, 108, 111]) }, 'aGVsbG8='],
    ['empty B', { B: new Uint8Array() }, ''],
    [
      'SS, in code point order',
      { SS: ['b', 'Z', 'é', 'a', '\u{1F600}', '\uFF5E'] },
      ['Z', 'a', 'b', 'é', '\uFF5E', '\u{1F600}'],
    ],
    ['NS, in numeric order', { NS: ['10', '9', '-1.5', '1E+2'] }, [-1.5, 9, 10, new ExactNumber('1E+2')]],
    ['BS, in byte order', { BS: ['Ag==', new Uint8Array([1, 255]), 'AQ=='] }, ['AQ==', 'Af8=', 'Ag==']],
  ])('%s', (_type, value, expected) => {
    expect(mapped({ x: value }).x).toEqual(expected);
  });

  it('keeps the exact digits of N beyond a double, in the value and in the JSON written', () => {
    const value = mapped({
      big: { N: '12345678901234567890123' },
      fine: { N: '0.1000000000000000055511151231257827' },
      set: { NS: ['9007199254740993', '9007199254740992'] },
    });

    expect(stringifyExact(value)).toBe(
      '{"big":12345678901234567890123,"fine":0.1000000000000000055511151231257827,"set":[9007199254740992,9007199254740993]}',
    );
  });

  it('maps a set the same whatever order DynamoDB returns it in, and drops repeats', () => {
    expect(mapped({ s: { SS: ['b', 'a', 'a'] } })).toEqual(mapped({ s: { SS: ['a', 'b'] } }));
    expect(mapped({ s: { NS: ['2', '1.5', '2'] } }).s).toEqual([1.5, 2]);
  });

  it('writes N in JSON grammar when DynamoDB-style text is not (a leading + or zeros)', () => {
    expect(stringifyExact(mapped({ n: { N: '+007.50' } }))).toBe('{"n":7.50}');
  });

  it('takes only the fields asked for', () => {
    expect(mapped({ a: { S: 'x' }, b: { S: 'y' } })).toEqual({ a: 'x', b: 'y' });
    expect(unmarshallImage({ a: { S: 'x' }, b: { bad: 1 } }, { fields: new Set(['a']) })).toEqual({
      ok: true,
      value: { a: 'x' },
    });
  });

  it("keeps a map key named __proto__ as the map's own key", () => {
    const value = mapped(JSON.parse('{"m": {"M": {"__proto__": {"S": "x"}}}}')).m as Record<string, unknown>;

    expect(Object.hasOwn(value, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });

  it(`takes DynamoDB's ${MAX_NESTING_LEVELS} levels (31 maps or lists in an attribute) and no more`, () => {
    expect(unmarshallImage({ x: nested(31, 'M') }).ok).toBe(true);
    expect(unmarshallImage({ x: nested(31, 'L') }).ok).toBe(true);
    const tooDeep = unmarshallImage({ x: nested(32, 'M') });

    expect(tooDeep).toEqual({
      ok: false,
      field: `x${'.a'.repeat(31)}`,
      reason: "is nested deeper than DynamoDB's 32 levels",
    });
  });

  it('refuses a value nested thousands of levels deep with its field, not a RangeError', () => {
    const result = unmarshallImage({ x: nested(10_000, 'L') });

    expect(result.ok).toBe(false);
    expect(!result.ok && result.field).toBe(`x${'[0]'.repeat(31)}`);
  });

  it.each([
    ['no type (an empty attribute value)', { x: {} }, 'x', /has no type/],
    ['two types', { x: { S: 'a', N: '1' } }, 'x', /more than one type/],
    ['an unknown type', { x: { X: 'a' } }, 'x', /unknown type "X"/],
    ['N that is not a number', { x: { M: { n: { N: 'NaN' } } } }, 'x.n', /N must be a decimal number/],
    ['S that is not a string', { x: { L: [{ S: 5 }] } }, 'x[0]', /S must be a string/],
    ['B that is not base64', { x: { B: 'not base64!' } }, 'x', /base64/],
    ['NULL false', { x: { NULL: false } }, 'x', /NULL must be true/],
    ['a scalar instead of an attribute value', { x: 'plain' }, 'x', /not a DynamoDB attribute value/],
    ['a key that is not a field name', { x: { M: { 'a b': { S: 1 } } } }, 'x["a b"]', /S must be a string/],
  ])('names the field of %s', (_label, image, field, reason) => {
    const result = unmarshallImage(image);

    expect(result.ok).toBe(false);
    expect(!result.ok && result.field).toBe(field);
    expect(!result.ok && result.reason).toMatch(reason);
  });

  it('refuses an image that is not an object', () => {
    expect(unmarshallImage([1, 2])).toMatchObject({ ok: false, field: '' });
    expect(unmarshallImage(null)).toMatchObject({ ok: false, field: '' });
  });
});
