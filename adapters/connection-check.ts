import {
  DescribeStreamSummaryCommand,
  type KinesisClient,
  ListStreamsCommand,
  type StreamStatus,
} from '@aws-sdk/client-kinesis';

/**
 * The destination connection check: what the source page's platform does when a destination is
 * configured ("checks the permissions"), with the exporter's own credentials.
 *
 * Used by the deploy-time connection-check custom resource and by the `validate` CLI command.
 * Read-only: it never writes a record to the customer's stream.
 */

/** The checks, in the order they run. */
export type ConnectionCheckName = 'list-streams' | 'stream-exists' | 'stream-active';

export type ConnectionCheckStatus = 'passed' | 'failed' | 'skipped';

export interface ConnectionCheckResult {
  readonly check: ConnectionCheckName;
  readonly status: ConnectionCheckStatus;
  /** One sentence: what was found and, on failure, what to do. */
  readonly message: string;
}

export interface StreamConnectionReport {
  readonly streamName: string;
  /** True when no check failed. */
  readonly ok: boolean;
  readonly checks: readonly ConnectionCheckResult[];
}

export interface CheckStreamConnectionOptions {
  /** A client for the stream's region, holding the credentials the exporter writes with. */
  readonly client: KinesisClient;
  readonly streamName: string;
  /**
   * Pages of ListStreams to read before giving up (100 names a page).
   * @default 50
   */
  readonly maxPages?: number;
}

const PAGE_SIZE = 100;

/** Statuses in which a stream accepts PutRecord/PutRecords. */
const WRITABLE: ReadonlySet<StreamStatus> = new Set<StreamStatus>(['ACTIVE', 'UPDATING']);

/**
 * Checks that the credentials behind `client` may call `kinesis:ListStreams`, that `streamName` is
 * among the streams listed, and that it is in a writable status.
 *
 * The status comes from ListStreams' `StreamSummaries`; when the service (or an emulator) does not
 * return them, from DescribeStreamSummary, and the check is skipped when that call is not allowed —
 * the exporter needs only ListStreams, PutRecord and PutRecords.
 *
 * Never throws for an AWS error: every failure is a failed check with the error's name and message.
 */
export async function checkStreamConnection(
  options: CheckStreamConnectionOptions,
): Promise<StreamConnectionReport> {
  const { client, streamName } = options;
  const maxPages = options.maxPages ?? 50;
  const checks: ConnectionCheckResult[] = [];
  const done = (): StreamConnectionReport => ({
    streamName,
    ok: checks.every((c) => c.status !== 'failed'),
    checks,
  });

  let listed: ListedStream | undefined;
  let pages = 0;
  try {
    listed = await findInListStreams(client, streamName, maxPages, () => {
      pages += 1;
    });
  } catch (error) {
    checks.push({
      check: 'list-streams',
      status: 'failed',
      message: `kinesis:ListStreams failed (${describeError(error)}); allow kinesis:ListStreams on "*" for the exporter's credentials`,
    });
    checks.push(skipped('stream-exists', 'not checked: ListStreams failed'));
    checks.push(skipped('stream-active', 'not checked: ListStreams failed'));
    return done();
  }
  checks.push({
    check: 'list-streams',
    status: 'passed',
    message: `kinesis:ListStreams allowed (${pages} page${pages === 1 ? '' : 's'} read)`,
  });

  if (listed === undefined) {
    checks.push({
      check: 'stream-exists',
      status: 'failed',
      message: `stream "${streamName}" is not among the streams these credentials list in this account and region; create it, or fix streamName, region or accountId in the config`,
    });
    checks.push(skipped('stream-active', 'not checked: the stream was not found'));
    return done();
  }
  checks.push({ check: 'stream-exists', status: 'passed', message: `stream "${streamName}" exists` });

  let status = listed.status;
  if (status === undefined) {
    try {
      const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
      status = summary.StreamDescriptionSummary?.StreamStatus;
    } catch (error) {
      checks.push(
        skipped(
          'stream-active',
          `status not checked: ListStreams returned no summaries and DescribeStreamSummary failed (${describeError(error)})`,
        ),
      );
      return done();
    }
  }
  checks.push(
    status !== undefined && WRITABLE.has(status)
      ? { check: 'stream-active', status: 'passed', message: `stream "${streamName}" is ${status}` }
      : {
          check: 'stream-active',
          status: 'failed',
          message: `stream "${streamName}" is ${status ?? 'in an unknown status'}, not ACTIVE: records cannot be written to it; wait until it is ACTIVE or point the destination to another stream`,
        },
  );
  return done();
}

/** One line per check, e.g. for a CloudFormation failure reason or the CLI. */
export function formatConnectionReport(report: StreamConnectionReport): string {
  return report.checks.map((c) => `${c.status.toUpperCase()} ${c.check}: ${c.message}`).join('\n');
}

interface ListedStream {
  readonly status?: StreamStatus;
}

async function findInListStreams(
  client: KinesisClient,
  streamName: string,
  maxPages: number,
  onPage: () => void,
): Promise<ListedStream | undefined> {
  let nextToken: string | undefined;
  let exclusiveStart: string | undefined;
  for (let page = 0; page < maxPages; page += 1) {
    // NextToken cannot be combined with other parameters; older endpoints only page by name.
    const response = await client.send(
      new ListStreamsCommand(
        nextToken !== undefined
          ? { NextToken: nextToken }
          : {
              Limit: PAGE_SIZE,
              ...(exclusiveStart === undefined ? {} : { ExclusiveStartStreamName: exclusiveStart }),
            },
      ),
    );
    onPage();
    const names = response.StreamNames ?? [];
    if (names.includes(streamName)) {
      const summary = response.StreamSummaries?.find((s) => s.StreamName === streamName);
      return summary?.StreamStatus === undefined ? {} : { status: summary.StreamStatus };
    }
    if (response.HasMoreStreams !== true || names.length === 0) return undefined;
    nextToken = response.NextToken;
    exclusiveStart = names[names.length - 1];
  }
  return undefined;
}

function skipped(check: ConnectionCheckName, message: string): ConnectionCheckResult {
  return { check, status: 'skipped', message };
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
