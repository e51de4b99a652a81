import { describe, expect, it } from 'vitest';
import { JsonSyntaxError } from '../../../core/errors.js';
import {
  compareDecimal,
  dynamoNumberProblem,
  ExactNumber,
  numberFromText,
  toJsonNumberText,
} from '../../../core/exact-number.js';
import { parseJson, parseJsonValues, stringifyExact } from '../../../core/json-text.js';

describe('numberFromText()', () => {
  it.each([
    ['42', 42],
    ['-0.5', -0.5],
    ['9007199254740991', 9007199254740991],
    ['1e-7', 1e-7],
  ])('keeps %s as a plain number: a double holds its digits', (text, value) => {
    expect(numberFromText(text)).toBe(value);
  });

  it.each([
    '9007199254740993',
    '12345678901234567890123',
    '0.1000000000000000055511151231257827',
    '1.50',
    '100000000000000000000000000000000000000',
  ])('keeps %s as an exact number with its digits', (text) => {
    const value = numberFromText(text);

    expect(value).toBeInstanceOf(ExactNumber);
    expect(String(value)).toBe(text);
  });
});

describe('toJsonNumberText()', () => {
  it.each([
    ['+1', '1'],
    ['.5', '0.5'],
    ['007', '7'],
    ['1.', '1'],
    ['-00.250', '-0.250'],
    ['1E+2', '1E+2'],
  ])('writes %s in JSON grammar as %s', (text, json) => {
    expect(toJsonNumberText(text)).toBe(json);
  });
});

describe('compareDecimal()', () => {
  it('compares exactly, beyond a double', () => {
    expect(compareDecimal('12345678901234567890123', '12345678901234567890124')).toBeLessThan(0);
    expect(compareDecimal('1.50', '1.5')).toBe(0);
    expect(compareDecimal('-2', '1E-130')).toBeLessThan(0);
    expect(compareDecimal('-10', '-9')).toBeLessThan(0);
    expect(compareDecimal('0.00', '-0')).toBe(0);
    expect(compareDecimal('1e3', '999.999')).toBeGreaterThan(0);
  });
});

describe('dynamoNumberProblem()', () => {
  it.each([
    ['12345678901234567890123456789012345678', undefined],
    ['1E-130', undefined],
    ['9.9999999999999999999999999999999999999E+125', undefined],
    ['123456789012345678901234567890123456789', /39 significant digits; DynamoDB stores at most 38/],
    ['1E+126', /too large/],
    ['1E-131', /too close to zero/],
  ])('%s: %s', (text, problem) => {
    const found = dynamoNumberProblem(new ExactNumber(text));
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(problem);
  });

  it('refuses a number that is not finite', () => {
    expect(dynamoNumberProblem(Number.POSITIVE_INFINITY)).toBe('is not a finite number');
  });
});

describe('parseJson()', () => {
  it('parses what JSON.parse parses, with the same values', () => {
    const text =
      '{"a":[1,-2.5,true,false,null,"x\\u00e9\\n\\"q\\""],"b":{"c":{}},"d":[],"e":"\\ud83d\\ude00"}';

    expect(parseJson(text)).toEqual(JSON.parse(text));
  });

  it('keeps the digits of numbers a double cannot hold', () => {
    const value = parseJson('{"big": 12345678901234567890, "small": 1}') as Record<string, unknown>;

    expect(value.big).toEqual(new ExactNumber('12345678901234567890'));
    expect(value.small).toBe(1);
  });

  it('keeps __proto__ as an own member, as JSON.parse does', () => {
    const value = parseJson('{"__proto__": {"polluted": true}}') as Record<string, unknown>;

    expect(Object.hasOwn(value, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('parses a document nested 50,000 levels deep without running out of stack', () => {
    const depth = 50_000;
    let value = parseJson(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);
    let levels = 0;
    while (typeof value === 'object' && value !== null) {
      value = (value as Record<string, unknown>).a;
      levels++;
    }

    expect(levels).toBe(depth);
  });

  it.each([
    ['{"a": 1,\n  oops}', 2, 3, /property name/],
    ['{"a": 1', 1, 8, /Expected ',' or '}'/],
    ['[1, 2', 1, 6, /Expected ',' or '\]'/],
    ['', 1, 1, /end of JSON input/],
    ['{"a": "unterminated', 1, 7, /Unterminated string/],
    ['{"a": tru}', 1, 7, /not a JSON value/],
    ['{"a": 01}', 1, 8, /Expected ',' or '}'/],
    ['{"a": -}', 1, 7, /minus sign/],
    ['\n\n  {"a": "\\x"}', 3, 10, /Bad escaped character/],
    ['{"a": "tab\there"}', 1, 11, /Bad control character/],
    ['{} {}', 1, 4, /after the JSON value/],
  ])('reports %j with its line and column', (text, line, column, reason) => {
    let caught: unknown;
    try {
      parseJson(text);
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(JsonSyntaxError);
    const error = caught as JsonSyntaxError;
    expect([error.line, error.column]).toEqual([line, column]);
    expect(error.message).toMatch(reason);
    expect(error.message).toMatch(new RegExp(`at line ${line}, column ${column}$`));
  });
});

describe('parseJsonValues()', () => {
  it('reads NDJSON and pretty-printed documents one after another, each with its first line', () => {
    const text = '{"a": 1}\n{"b": 2}\n\n{\n  "c": 3\n}\n';

    expect(parseJsonValues(text)).toEqual([
      { line: 1, value: { a: 1 } },
      { line: 2, value: { b: 2 } },
      { line: 4, value: { c: 3 } },
    ]);
  });

  it('reports the line and column of an error in a later document', () => {
    expect(() => parseJsonValues('{"a": 1}\n{"b": 2,}\n')).toThrow(/at line 2, column 9$/);
  });
});

describe('stringifyExact()', () => {
  it('writes what JSON.stringify writes when there is no exact number', () => {
    const value = { a: [1, 'x', null, true, { b: undefined, c: 0.5 }], d: {}, e: [] };

    expect(stringifyExact(value)).toBe(JSON.stringify(value));
    expect(stringifyExact(value, 2)).toBe(JSON.stringify(value, null, 2));
  });

  it('writes exact numbers digit for digit, as JSON numbers', () => {
    const value = {
      big: new ExactNumber('12345678901234567890123'),
      list: [new ExactNumber('0.1000000000000000055511151231257827'), 1],
      nested: { n: new ExactNumber('-9007199254740993') },
      empty: {},
    };

    expect(stringifyExact(value)).toBe(
      '{"big":12345678901234567890123,"list":[0.1000000000000000055511151231257827,1],"nested":{"n":-9007199254740993},"empty":{}}',
    );
    expect(stringifyExact(value, 2)).toBe(JSON.stringify(value, null, 2).replace(/"(-?[0-9.]+)"/g, '$1'));
  });

  it('round-trips with parseJson without losing a digit', () => {
    const text = '{"a":[12345678901234567890123,0.1000000000000000055511151231257827,-1.5e300,7],"b":"x"}';

    expect(stringifyExact(parseJson(text))).toBe(text);
  });

  it('writes a bigint as its digits instead of throwing', () => {
    expect(stringifyExact({ n: 2n ** 64n })).toBe('{"n":18446744073709551616}');
  });

  it('leaves a plain JSON.stringify lossless: an exact number becomes its digits as a string', () => {
    expect(JSON.stringify({ n: new ExactNumber('12345678901234567890') })).toBe(
      '{"n":"12345678901234567890"}',
    );
  });
});
