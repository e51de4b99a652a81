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

/** One attribute value in Lambda's JSON shape. */
function toAwsValue(value: unknown): unknown {
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  // DynamoDB Local's empty map in a stream image.
  if (keys.length === 0) return { M: {} };
  if (keys.length !== 1) return value;
  if (value.B !== undefined) return { B: base64(value.B) };
  if (Array.isArray(value.BS)) return { BS: value.BS.map(base64) };
  if (isObject(value.M)) return { M: toAwsImage(value.M) };
  if (Array.isArray(value.L)) return { L: value.L.map(toAwsValue) };
  return value;
}

function toAwsImage(image: Record<string, unknown>): Image {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(image)) out[name] = toAwsValue(value);
  return out as Image;
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
