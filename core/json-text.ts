/**
 * JSON text with exact numbers, both ways.
 *
 * - {@link parseJson} / {@link parseJsonValues}: a JSON parser that keeps every number's digits
 *   (`numberFromText`: a `number` when it holds them, else an `ExactNumber`), reports every syntax
 *   error with its line and column, and takes any nesting depth (it keeps its own stack, so a
 *   document nested thousands of levels deep is parsed, not a `RangeError`; the checks that follow
 *   decide whether it is acceptable).
 * - {@link stringifyExact}: `JSON.stringify` that writes an `ExactNumber` as a JSON number, digit
 *   for digit. Values without one take `JSON.stringify` itself (the fast path).
 */
import { JsonSyntaxError } from './errors.js';
import { ExactNumber, exactNumbersSeen, numberFromText } from './exact-number.js';

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

type Frame =
  | { readonly array: unknown[]; readonly object?: undefined; key: string }
  | { readonly array?: undefined; readonly object: Record<string, unknown>; key: string };

/** Sets `key` as an own property even when it is `__proto__` (as `JSON.parse` does). */
function setMember(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  else object[key] = value;
}

class Parser {
  pos = 0;
  constructor(readonly text: string) {
    if (text.charCodeAt(0) === 0xfeff) this.pos = 1;
  }

  fail(reason: string, at = this.pos): never {
    throw new JsonSyntaxError(reason, this.text, at);
  }

  /** Skips whitespace; true when text remains. */
  skip(): boolean {
    const { text } = this;
    let c = text.charCodeAt(this.pos);
    while (c === 32 || c === 10 || c === 13 || c === 9) c = text.charCodeAt(++this.pos);
    return this.pos < text.length;
  }

  found(): string {
    return this.pos >= this.text.length ? 'the end of the input' : `'${this.text.charAt(this.pos)}'`;
  }

  string(): string {
    const { text } = this;
    const start = this.pos + 1;
    let i = start;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        this.pos = i + 1;
        return text.slice(start, i);
      }
      if (c === 92 || c < 32 || Number.isNaN(c)) break;
      i++;
    }
    let out = text.slice(start, i);
    for (;;) {
      if (i >= text.length) this.fail('Unterminated string', start - 1);
      const c = text.charCodeAt(i);
      if (c === 34) {
        this.pos = i + 1;
        return out;
      }
      if (c < 32) this.fail('Bad control character in string (escape it, e.g. \\n)', i);
      if (c === 92) {
        const e = text.charAt(i + 1);
        if (e === 'u') {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('Bad Unicode escape in string', i);
          out += String.fromCharCode(Number.parseInt(hex, 16));
          i += 6;
          continue;
        }
        const escaped = ESCAPES[e];
        if (escaped === undefined) this.fail('Bad escaped character in string', i);
        out += escaped;
        i += 2;
        continue;
      }
      let j = i + 1;
      for (let d = text.charCodeAt(j); j < text.length && d !== 34 && d !== 92 && d >= 32; )
        d = text.charCodeAt(++j);
      out += text.slice(i, j);
      i = j;
    }
  }

  key(): string {
    if (!this.skip() || this.text.charCodeAt(this.pos) !== 34)
      this.fail(`Expected a property name in double quotes, found ${this.found()}`);
    const key = this.string();
    this.skip();
    if (this.text.charCodeAt(this.pos) !== 58)
      this.fail(`Expected ':' after a property name, found ${this.found()}`);
    this.pos++;
    return key;
  }

  literal(word: string, value: unknown): unknown {
    if (!this.text.startsWith(word, this.pos)) this.fail(`Unexpected ${this.found()}: not a JSON value`);
    this.pos += word.length;
    return value;
  }

  /** One scalar, or opens a container (pushed on `stack`; returns `OPEN`). */
  start(stack: Frame[]): unknown {
    if (!this.skip()) this.fail('Unexpected end of JSON input: a value is missing');
    const { text } = this;
    const c = text.charCodeAt(this.pos);
    if (c === 123) {
      this.pos++;
      this.skip();
      if (text.charCodeAt(this.pos) === 125) {
        this.pos++;
        return {};
      }
      stack.push({ object: {}, key: this.key() });
      return OPEN;
    }
    if (c === 91) {
      this.pos++;
      this.skip();
      if (text.charCodeAt(this.pos) === 93) {
        this.pos++;
        return [];
      }
      stack.push({ array: [], key: '' });
      return OPEN;
    }
    if (c === 34) return this.string();
    if (c === 45 || (c >= 48 && c <= 57)) {
      NUMBER.lastIndex = this.pos;
      const match = NUMBER.exec(text);
      if (match === null) this.fail('Invalid number: a digit must follow the minus sign');
      this.pos += match[0].length;
      return numberFromText(match[0]);
    }
    if (c === 116) return this.literal('true', true);
    if (c === 102) return this.literal('false', false);
    if (c === 110) return this.literal('null', null);
    return this.fail(`Unexpected ${this.found()}: not a JSON value`);
  }

  /** One whole value, containers included, without recursion. */
  value(): unknown {
    const stack: Frame[] = [];
    for (;;) {
      let value = this.start(stack);
      if (value === OPEN) continue;
      for (;;) {
        const top = stack[stack.length - 1];
        if (top === undefined) return value;
        if (top.array !== undefined) top.array.push(value);
        else setMember(top.object, top.key, value);
        this.skip();
        const c = this.text.charCodeAt(this.pos);
        const close = top.array !== undefined ? 93 : 125;
        if (c === 44) {
          this.pos++;
          if (top.object !== undefined) top.key = this.key();
          break;
        }
        if (c !== close) {
          this.fail(
            top.array !== undefined
              ? `Expected ',' or ']' after an array element, found ${this.found()}`
              : `Expected ',' or '}' after a property value, found ${this.found()}`,
          );
        }
        this.pos++;
        stack.pop();
        value = top.array ?? top.object;
      }
    }
  }
}

const OPEN = Symbol('open container');

/**
 * Parses one JSON text with exact numbers.
 * @throws JsonSyntaxError with the line and column of the first error.
 */
export function parseJson(text: string): unknown {
  const parser = new Parser(text);
  const value = parser.value();
  if (parser.skip()) parser.fail(`Unexpected ${parser.found()} after the JSON value`);
  return value;
}

/** One value of a JSON sequence and the line it starts on. */
export interface JsonSequenceValue {
  readonly value: unknown;
  readonly line: number;
}

/**
 * Parses a sequence of JSON values separated by whitespace (NDJSON, or pretty-printed documents one
 * after the other), with exact numbers.
 * @throws JsonSyntaxError with the line and column of the first error.
 */
export function parseJsonValues(text: string): JsonSequenceValue[] {
  const parser = new Parser(text);
  const values: JsonSequenceValue[] = [];
  let line = 1;
  let counted = 0;
  while (parser.skip()) {
    for (let i = text.indexOf('\n', counted); i !== -1 && i < parser.pos; i = text.indexOf('\n', i + 1))
      line++;
    counted = parser.pos;
    values.push({ line, value: parser.value() });
  }
  return values;
}

function indentOf(depth: number, indent: number): string {
  return indent === 0 ? '' : `\n${' '.repeat(depth * indent)}`;
}

function write(value: unknown, indent: number, depth: number): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      return undefined;
  }
  if (value instanceof ExactNumber) return value.text;
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return write(toJSON.call(value), indent, depth);
  const inner = indentOf(depth + 1, indent);
  const parts: string[] = [];
  if (Array.isArray(value)) {
    for (const item of value) parts.push(`${inner}${write(item, indent, depth + 1) ?? 'null'}`);
    return parts.length === 0 ? '[]' : `[${parts.join(',')}${indentOf(depth, indent)}]`;
  }
  const colon = indent === 0 ? ':' : ': ';
  for (const [key, item] of Object.entries(value)) {
    const written = write(item, indent, depth + 1);
    if (written !== undefined) parts.push(`${inner}${JSON.stringify(key)}${colon}${written}`);
  }
  return parts.length === 0 ? '{}' : `{${parts.join(',')}${indentOf(depth, indent)}}`;
}

/**
 * `JSON.stringify(value, null, indent)` that writes every `ExactNumber` as a JSON number with its
 * exact digits (and a `bigint` as its digits instead of throwing). `undefined` gives `null`.
 */
export function stringifyExact(value: unknown, indent = 0): string {
  const before = exactNumbersSeen();
  let json: string | undefined;
  try {
    json = indent > 0 ? JSON.stringify(value, null, indent) : JSON.stringify(value);
  } catch (error) {
    // A bigint: the writer below writes its digits. Anything else (a cycle) is the caller's bug.
    if (!(error instanceof TypeError) || !/BigInt/.test(error.message)) throw error;
  }
  if (exactNumbersSeen() === before && json !== undefined) return json;
  return write(value, indent, 0) ?? 'null';
}
