import { type CloudFormationClient, DescribeStackResourceCommand } from '@aws-sdk/client-cloudformation';
import { DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { describeError } from '../../adapters/errors.js';
import type { CreatedStream } from './properties.js';

/**
 * Before the stack creates a stream: is its name free? A stream the stack created is kept when the
 * stack is deleted (data survives the stack), under its fixed name, so deploying the stack again
 * would make CloudFormation fail on the existing stream with a bare "already exists". This check
 * stops the deployment first with what to do. A stream the stack itself owns (the same logical id,
 * the same name) is not a conflict: that is every later update, and the first deploy of this check
 * into a stack that already has its streams.
 */

/** The outcome for one stream. */
export interface StreamNameResult {
  readonly destinationId: string;
  readonly streamName: string;
  readonly ok: boolean;
  readonly message: string;
}

/** Clients of {@link checkStreamNames}. */
export interface StreamNameCheckDeps {
  readonly cloudFormation: CloudFormationClient;
  readonly kinesisFor: (region: string) => KinesisClient;
}

/** Checks each stream the stack is about to create; never throws for an AWS error. */
export async function checkStreamNames(
  streams: readonly CreatedStream[],
  stackId: string,
  deps: StreamNameCheckDeps,
): Promise<StreamNameResult[]> {
  const results: StreamNameResult[] = [];
  for (const s of streams) results.push(await checkOne(s, stackId, deps));
  return results;
}

async function checkOne(
  s: CreatedStream,
  stackId: string,
  deps: StreamNameCheckDeps,
): Promise<StreamNameResult> {
  const result = (ok: boolean, message: string) => ({
    destinationId: s.destinationId,
    streamName: s.streamName,
    ok,
    message,
  });
  if (await ownedByStack(s, stackId, deps.cloudFormation)) {
    return result(true, `stream "${s.streamName}" is this stack's own`);
  }
  try {
    await deps.kinesisFor(s.region).send(new DescribeStreamSummaryCommand({ StreamName: s.streamName }));
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') {
      return result(true, `stream name "${s.streamName}" is free`);
    }
    return result(
      false,
      `could not check whether stream "${s.streamName}" exists in ${s.region} (${describeError(error)}); the connection check's role needs kinesis:DescribeStreamSummary on it (the stack grants it: redeploy)`,
    );
  }
  return result(
    false,
    `stream "${s.streamName}" already exists in ${s.region} and is not this stack's (a stream an earlier deployment created is kept when its stack is deleted). To keep writing to it with its data, remove createStream from destination "${s.destinationId}": the stack then imports the stream by name. To start with an empty stream, delete it first: aws kinesis delete-stream --stream-name ${s.streamName} --region ${s.region}`,
  );
}

/** Whether the stack's resource `logicalId` is this very stream. */
async function ownedByStack(
  s: CreatedStream,
  stackId: string,
  client: CloudFormationClient,
): Promise<boolean> {
  try {
    const { StackResourceDetail } = await client.send(
      new DescribeStackResourceCommand({ StackName: stackId, LogicalResourceId: s.logicalId }),
    );
    return StackResourceDetail?.PhysicalResourceId === s.streamName;
  } catch {
    // Not (yet) a resource of the stack: CloudFormation answers with a ValidationError.
    return false;
  }
}
