import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { DynamoDBStreamEvent, SQSEvent } from 'aws-lambda';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeProfiles } from '../../adapters/profile-writer.js';
import { exportLines, localUpAnnouncement } from '../../cli/local-up.js';
import { registerTailCommand } from '../../cli/tail.js';
import { startSqs } from '../../local/emulators.js';
import { LocalStackError, PortInUseError } from '../../local/errors.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';

/**
 * Stand-in functions with the real contract (stream → FIFO queue → Kinesis) but no decision: this
 * suite tests the stack's wiring, the end-to-end suites test the real handlers.
 */
function standIns(stack: () => LocalStack) {
  return {
    async decide(event: DynamoDBStreamEvent) {
      const s = stack();
      const entries = event.Records.map((r, i) => {
        const profileId = r.dynamodb?.Keys?.profileId?.S ?? 'unknown';
        return {
          Id: String(i),
          MessageBody: JSON.stringify({ profileId, eventId: r.eventID }),
          MessageGroupId: `marketing:${profileId}`,
          MessageDeduplicationId: r.eventID ?? String(i),
        };
      });
      for (let i = 0; i < entries.length; i += 10) {
        await s.clients.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: s.resources.exportQueueUrl,
            Entries: entries.slice(i, i + 10),
          }),
        );
      }
      return { batchItemFailures: [] };
    },
    async export(event: SQSEvent) {
      const s = stack();
      await s.clients.kinesis.send(
        new PutRecordsCommand({
          StreamName: s.resources.streams.marketing,
          Records: event.Records.map((r) => ({
            PartitionKey: (JSON.parse(r.body) as { profileId: string }).profileId,
            Data: Buffer.from(r.body),
          })),
        }),
      );
      return { batchItemFailures: [] };
    },
  };
}

let stack: LocalStack;
const remaining: number[] = [];

beforeAll(async () => {
  const handlers = standIns(() => stack);
  stack = await startLocalStack({
    handlers: { decide: handlers.decide, export: handlers.export },
    wrapHandlers: {
      export: (handler) => async (event, context) => {
        remaining.push(context.getRemainingTimeInMillis());
        return handler(event, context);
      },
    },
    decideMapping: { maxBatchingWindowMs: 100 },
  });
});

afterAll(async () => {
  await stack?.stop();
});

describe('startLocalStack()', () => {
  it('sets the functions environment and prints the CLI environment', () => {
    expect(process.env.AWS_ENDPOINT_URL_DYNAMODB).toBe(stack.endpoints.dynamodb);
    expect(process.env.EXPORT_QUEUE_URL).toBe(stack.resources.exportQueueUrl);
    expect(process.env.EXPORT_MAX_RECEIVE_COUNT).toBe('31');
    expect(JSON.parse(process.env.KD_CONFIG_JSON ?? '{}').destinations).toHaveLength(2);
    const lines = exportLines(stack);
    expect(lines[0]).toBe(`export AWS_ENDPOINT_URL_DYNAMODB=${stack.endpoints.dynamodb}`);
    expect(lines).toContain(`export DLQ_URL=${stack.resources.deadLetterQueueUrl}`);
    expect(lines).toContain('export PROFILE_TABLE_NAME=profiles');
    expect(lines.some((l) => l.startsWith('export KD_CONFIG=') && l.endsWith('examples/config.json'))).toBe(
      true,
    );
  });

  it('prints AWS_DEFAULT_REGION, and a one-line --endpoint-url hint for AWS CLIs before 2.13', () => {
    const { stdout, stderr } = localUpAnnouncement(stack);

    expect(stdout.split('\n')).toContain(`export AWS_DEFAULT_REGION=${stack.env.AWS_REGION}`);
    expect(
      stdout
        .split('\n')
        .filter(Boolean)
        .every((line) => line.startsWith('export ')),
    ).toBe(true);
    const hint = stderr.split('\n')[0] ?? '';
    expect(hint).toContain('before 2.13');
    expect(hint).toContain('--endpoint-url');
  });

  it('runs written profiles through both mappings to the destination stream, across an SQS outage', async () => {
    const tableName = stack.resources.profileTableName;
    await writeProfiles([{ profileId: 'p-1' }, { profileId: 'p-2' }], { tableName });
    await stack.waitForIdle();
    await stack.restartSqs({ downtimeMs: 300 });
    await writeProfiles([{ profileId: 'p-1', note: 'again' }], { tableName });
    await stack.waitForIdle({ timeoutMs: 20_000 });
    const records = await stack.readRecords('marketing');
    expect(records.map((r) => r.partitionKey).sort()).toEqual(['p-1', 'p-1', 'p-2']);
    // The export function's context counts down the scaled timeout (30 s × 0.1).
    expect(Math.max(...remaining)).toBeLessThanOrEqual(stack.timings.exportTimeoutMs);
    expect(Math.min(...remaining)).toBeGreaterThan(stack.timings.exportTimeoutMs - 1_000);
  });

  it('tail prints the destination stream as NDJSON through the environment of the stack', async () => {
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const quiet = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const program = new Command().exitOverride();
      registerTailCommand(program);
      await program.parseAsync([
        'node',
        'cli',
        'tail',
        '--destination',
        'marketing',
        '--from-start',
        '--count',
        '2',
      ]);
    } finally {
      write.mockRestore();
      quiet.mockRestore();
    }
    const records = lines
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toHaveLength(2);
    expect(Object.keys(records[0] ?? {})).toEqual(['partitionKey', 'sequenceNumber', 'data']);
    expect(records[0]?.data).toMatchObject({ profileId: expect.any(String) });
  });

  it('refuses a second stack in the same process', async () => {
    await expect(startLocalStack()).rejects.toBeInstanceOf(LocalStackError);
  });

  it('names the port and the flag when a port is taken', async () => {
    const error = await startSqs({ port: stack.ports.sqs, portFlag: '--sqs-port' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PortInUseError);
    expect(String(error)).toContain(`port ${stack.ports.sqs} is already in use`);
    expect(String(error)).toContain('--sqs-port N');
  });
});
