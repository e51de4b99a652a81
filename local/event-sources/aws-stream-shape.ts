/**
 * DynamoDB Streams records as AWS Lambda delivers them, from what DynamoDB Local and the SDK give
 * the local poller. Lambda's event is JSON: a binary (`B`, `BS`) is base64 text and a number (`N`,
 * `NS`) is text. The SDK's `GetRecords` gives bytes (`Uint8Array`) for binaries, and DynamoDB Local
 * writes an empty map as `{}` instead of `{"M":{}}` in stream images (GetItem returns it right).
 * {@link toAwsStreamShape} rewrites both, so the handlers see on the local stack exactly the shape
 * they see on AWS. No I/O.
 */
import type { AttributeValue, DynamoDBRecord, StreamRecord } from 'aws-lambda';

type Image = Record<string, AttributeValue>;

function base64(value: unknown): unknown {
  return value instanceof Uint8Array
    ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')
    : value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value`'s one own key; `EMPTY` when it has none, `MANY` when more than one. */
const EMPTY = Symbol('empty');
const MANY = Symbol('many');
function soleKey(value: Record<string, unknown>): string | typeof EMPTY | typeof MANY {
  // A for-in, not Object.keys: this runs for every attribute of every image the poller reads, and
  // the arrays Object.keys allocated were a twentieth of the local pipeline's garbage.
  let key: string | typeof EMPTY = EMPTY;
  for (const name in value) {
    if (!Object.hasOwn(value, name)) continue;
    if (key !== EMPTY) return MANY;
    key = name;
  }
  return key;
}

/** One attribute value in Lambda's JSON shape: the value itself when it already is. */
function toAwsValue(value: unknown): unknown {
  if (!isObject(value)) return value;
  switch (soleKey(value)) {
    // DynamoDB Local's empty map in a stream image.
    case EMPTY:
      return { M: {} };
    case 'B':
      return value.B instanceof Uint8Array ? { B: base64(value.B) } : value;
    case 'BS':
      return Array.isArray(value.BS) && value.BS.some((b) => b instanceof Uint8Array)
        ? { BS: value.BS.map(base64) }
        : value;
    case 'M': {
      if (!isObject(value.M)) return value;
      const map = toAwsImage(value.M);
      return map === value.M ? value : { M: map };
    }
    case 'L': {
      if (!Array.isArray(value.L)) return value;
      let list: unknown[] | undefined;
      for (let i = 0; i < value.L.length; i++) {
        const item = value.L[i];
        const aws = toAwsValue(item);
        if (aws !== item && list === undefined) list = value.L.slice(0, i);
        list?.push(aws);
      }
      return list === undefined ? value : { L: list };
    }
    default:
      return value;
  }
}

/**
 * An image (or map) in Lambda's JSON shape: the image itself when nothing in it changes (the wire's
 * JSON already is that shape but for DynamoDB Local's empty maps), a copy otherwise.
 */
function toAwsImage(image: Record<string, unknown>): Image {
  let out: Record<string, unknown> | undefined;
  for (const name in image) {
    if (!Object.hasOwn(image, name)) continue;
    const value = image[name];
    const aws = toAwsValue(value);
    if (aws !== value && out === undefined) {
      out = {};
      for (const earlier in image) {
        if (earlier === name) break;
        if (Object.hasOwn(image, earlier)) setOwn(out, earlier, image[earlier]);
      }
    }
    if (out !== undefined) setOwn(out, name, aws);
  }
  return (out ?? image) as Image;
}

/** Sets an own property, `__proto__` included (an attribute may have any name). */
function setOwn(target: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * A stream record in Lambda's JSON shape: binaries as base64 text, DynamoDB Local's `{}` as the
 * empty map `{"M":{}}`, in `Keys`, `NewImage` and `OldImage`. Returns a new record.
 */
export function toAwsStreamShape(record: DynamoDBRecord): DynamoDBRecord {
  const data = record.dynamodb;
  if (data === undefined) return record;
  const dynamodb: StreamRecord = { ...data };
  if (data.Keys !== undefined) dynamodb.Keys = toAwsImage(data.Keys);
  if (data.NewImage !== undefined) dynamodb.NewImage = toAwsImage(data.NewImage);
  if (data.OldImage !== undefined) dynamodb.OldImage = toAwsImage(data.OldImage);
  return { ...record, dynamodb };
}
