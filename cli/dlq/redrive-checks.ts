/**
 * The checks `dlq redrive` runs on its plan before anything moves — the ledger (`ledger-rule.ts`)
 * and each affected destination's stream (`stream-check.ts`) — and the summary it shows (both ARNs,
 * the counts) before it asks.
 */
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { StateTable } from '../../adapters/state-table.js';
import type { DestinationConfig } from '../../core/config.js';
import { UsageError } from '../../core/errors.js';
import { emptyLedgerRefusal, judgeLedger, type LedgerJudgement } from './ledger-rule.js';
import type { RedrivePlan } from './redrive-types.js';
import { checkDestinationStreams, type StreamCheck, type StreamChecker } from './stream-check.js';

/** What the checks need besides the plan. */
export interface RedriveCheckContext {
  readonly dynamo: DynamoDBClient;
  readonly stateTableName: string;
  readonly config: DestinationConfig;
  /** @default exporterStreamChecker */
  readonly streamChecker?: StreamChecker;
  /** Where warnings and findings go (stderr). */
  readonly say: (line: string) => void;
}

/** The state table's CreationDateTime, or undefined without dynamodb:DescribeTable. */
async function tableCreatedAt(dynamo: DynamoDBClient, tableName: string): Promise<number | undefined> {
  try {
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    return Table?.CreationDateTime?.getTime();
  } catch {
    return undefined;
  }
}

/**
 * Judges whether the state table is the ledger of the sampled dead letters.
 * @throws the SDK's error when the failure records cannot be read.
 */
export async function judgeRedriveLedger(
  plan: Pick<RedrivePlan, 'sample'>,
  context: Pick<RedriveCheckContext, 'dynamo' | 'stateTableName'>,
): Promise<LedgerJudgement> {
  const records = await new StateTable({
    client: context.dynamo,
    tableName: context.stateTableName,
  }).failureRecords(plan.sample.map((s) => s.exportId));
  return judgeLedger({
    sampled: plan.sample,
    // A record that does not parse still shows the table knew the export.
    recorded: new Set(records.keys()),
    tableCreatedAt: await tableCreatedAt(context.dynamo, context.stateTableName),
  });
}

/** The refusal for streams records cannot be written to (pure). */
export function brokenStreamsRefusal(checks: readonly StreamCheck[]): string | undefined {
  const broken = checks.filter((c) => c.state === 'broken');
  if (broken.length === 0) return undefined;
  return `refusing to redrive: ${broken
    .map((c) => `destination "${c.destinationId}": ${c.detail}`)
    .join(
      '; ',
    )}. Nothing was moved: the exports would fail three more times and come back to the DLQ. Fix the stream (\`validate --destination ID\` checks it), then redrive again`;
}

/**
 * The `checkPlan` of `dlq redrive`: refuses (UsageError, nothing moved) when the state table is not
 * the ledger of these exports or a destination's stream is missing or not writable; warns through
 * `say` when a stream could not be checked.
 */
export function redriveChecks(context: RedriveCheckContext): (plan: RedrivePlan) => Promise<void> {
  return async (plan) => {
    const ledger = await judgeRedriveLedger(plan, context);
    if (ledger.verdict === 'unknown')
      throw new UsageError(emptyLedgerRefusal(ledger, context.stateTableName));
    context.say(`ledger: ${ledger.reason}`);
    const destinations = [...plan.selectedByDestination.keys()].filter((d) => d !== '?');
    const streams = await checkDestinationStreams(context.config, destinations, context.streamChecker);
    const refusal = brokenStreamsRefusal(streams);
    if (refusal !== undefined) throw new UsageError(refusal);
    for (const s of streams) {
      context.say(
        s.state === 'ok'
          ? `stream of ${s.destinationId}: ${s.detail}`
          : `warning: stream of ${s.destinationId} not checked: ${s.detail}`,
      );
    }
  };
}

/** The plan as the lines shown before the question (pure). */
export function describePlan(plan: RedrivePlan): string[] {
  const byDestination = [...plan.selectedByDestination]
    .map(([destination, n]) => `${n} of ${destination}`)
    .join(', ');
  const skipped = [...plan.skippedNonRetryable].map(([code, n]) => `${n} ${code}`).join(', ');
  const skippedCount = [...plan.skippedNonRetryable.values()].reduce((a, b) => a + b, 0);
  return [
    `from dead-letter queue ${plan.dlqArn}`,
    `into export queue      ${plan.exportQueueArn}`,
    `${plan.selected} dead letter(s) to move (${byDestination}), by ${plan.mechanism === 'move-task' ? 'SQS StartMessageMoveTask' : 'send + delete in group order'}`,
    ...(skippedCount === 0
      ? []
      : [
          `${skippedCount} left in the DLQ, not retryable (${skipped}): retrying cannot help them (a record Kinesis refuses, a body that is not an export); --include-non-retryable moves them too`,
        ]),
    ...(plan.inFlight === 0
      ? []
      : [
          `${plan.inFlight} more in flight (being received by another reader or in a redrive): not read, not moved`,
        ]),
  ];
}
