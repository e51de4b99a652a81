/**
 * A message of the decide-failures queue: Lambda's description of a DynamoDB Streams batch the decide
 * mapping skipped (its on-failure destination) — which shard, which sequence range, of which stream.
 * The shape is AWS's documented one (Lambda developer guide, "Retaining discarded batches for a
 * DynamoDB event source": `requestContext`, `responseContext`, `version`, `timestamp`,
 * `DDBStreamBatchInfo`), and the local runtime writes the same (local/event-sources/stream-records.ts).
 * Only what a replay needs is required; the rest is kept as it comes.
 */
import { z } from 'zod';
import { formatZodIssues } from '../../core/zod-issues.js';

/** The range a failure describes. */
export const streamBatchInfoSchema = z.object({
  shardId: z.string().min(1),
  startSequenceNumber: z.string().regex(/^\d+$/, 'a sequence number is digits'),
  endSequenceNumber: z.string().regex(/^\d+$/, 'a sequence number is digits'),
  approximateArrivalOfFirstRecord: z.string().optional(),
  approximateArrivalOfLastRecord: z.string().optional(),
  batchSize: z.number().int().positive().optional(),
  streamArn: z
    .string()
    .regex(/^arn:[\w-]+:dynamodb:[\w-]+:\d{12}:table\/[^/]+\/stream\/.+$/, 'a DynamoDB stream ARN'),
});

/** The on-failure record, as far as a replay reads it. */
export const decideFailureSchema = z.object({
  requestContext: z
    .object({ condition: z.string().optional(), approximateInvokeCount: z.number().optional() })
    .loose()
    .optional(),
  timestamp: z.string().optional(),
  DDBStreamBatchInfo: streamBatchInfoSchema,
});

/** A parsed decide failure. */
export type DecideFailure = z.infer<typeof decideFailureSchema>;
/** Its range. */
export type StreamBatchInfo = z.infer<typeof streamBatchInfoSchema>;

/** A failure read, or why the body is not one. */
export type DecideFailureResult =
  | { readonly ok: true; readonly failure: DecideFailure }
  | { readonly ok: false; readonly problem: string };

/** Reads a failures-queue message body (pure). Never throws. */
export function parseDecideFailure(body: string): DecideFailureResult {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, problem: 'the body is not JSON' };
  }
  const parsed = decideFailureSchema.safeParse(json);
  if (!parsed.success)
    return {
      ok: false,
      problem: `not a DynamoDB Streams on-failure record: ${formatZodIssues(parsed.error).join('; ')}`,
    };
  return { ok: true, failure: parsed.data };
}

/** The table a DynamoDB stream ARN belongs to (`arn:…:table/<name>/stream/<label>`). */
export function tableOfStreamArn(streamArn: string): string | undefined {
  return /:table\/([^/]+)\/stream\//.exec(streamArn)?.[1];
}

/**
 * Compares two DynamoDB Streams sequence numbers of one shard (digit strings, increasing within a
 * shard): negative, zero or positive. Compared as integers, whatever their lengths.
 */
export function compareSequenceNumbers(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
