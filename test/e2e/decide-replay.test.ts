/**
 * `decide replay` on the local stack: the decide function fails every invocation for a while (an
 * injected outage), the local mapping — one retry here, instead of the deployed mapping's — gives the
 * batches up to the decide-failures queue with their shard ranges, and the changes in them reach no
 * destination. Then the operator runs `decide replay` (the CLI's command, in this process, with the
 * environment `local up` prints): each range is read again from the table's stream and decided, its
 * exports are delivered, and the failure messages are deleted.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeProfiles } from '../../adapters/profile-writer.js';
import { registerDecideCommands } from '../../cli/decide/commands.js';
import type { DestinationConfig } from '../../core/config.js';
import type { LocalStack } from '../../local/stack.js';
import { waitFor } from '../../local/wait.js';
import { runCli } from '../helpers/cli-run.js';
import { startTestStack } from '../helpers/stack.js';

const SEGMENT = 'seg-replay';
const config: DestinationConfig = {
  destinations: [
    {
      id: 'marketing',
      name: 'Marketing',
      region: 'us-east-1',
      streamName: 'replay-e2e',
      includeSegmentNames: false,
      includeSegmentTimestamps: false,
      segments: [{ id: SEGMENT, mappingCreatedAt: 1_700_000_000_000, mappingUpdatedAt: 1_700_000_000_000 }],
      attributes: ['person.name.lastName'],
    },
  ],
  segmentCatalog: [{ id: SEGMENT, name: 'Customers', mergePolicyId: 'mp', createdAt: 1, updatedAt: 1 }],
};
const PROFILES = ['r-0', 'r-1', 'r-2'];

let stack: LocalStack;
let decideDown = false;
let failedInvocations = 0;

const replay = (args: string[]) => runCli((program) => registerDecideCommands(program), args, stack.env);

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kd-replay-'));
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(config));
  stack = await startTestStack({
    config: configPath,
    // Give a failing batch up after one retry (the deployed mapping retries far longer).
    decideMapping: { retryAttempts: 1, maxBatchingWindowMs: 0 },
    wrapHandlers: {
      decide: (handler) => async (event: DynamoDBStreamEvent, context) => {
        if (decideDown) {
          failedInvocations += 1;
          throw new Error('injected: the decide function cannot reach the export queue');
        }
        return handler(event, context);
      },
    },
    functionEnv: { POWERTOOLS_LOG_LEVEL: 'CRITICAL', POWERTOOLS_METRICS_DISABLED: 'true' },
  });
});

afterAll(async () => {
  await stack?.stop();
});

describe('decide replay on the local stack', () => {
  it('replays the ranges the mapping gave up on, and their exports are delivered', async () => {
    decideDown = true;
    await writeProfiles(
      PROFILES.map((id) => ({
        profileId: id,
        person: { name: { lastName: `${id}-exited` } },
        identityMap: { email: [{ id: `${id}@example.com` }] },
        segmentMembership: {
          ups: { [SEGMENT]: { status: 'realized', lastQualificationTime: '2024-01-01T00:00:00Z' } },
        },
      })),
      { tableName: stack.resources.profileTableName, client: stack.clients.dynamodb },
    );
    await waitFor(
      'the ranges in the decide-failures queue',
      async () => {
        await stack.waitForIdle({ timeoutMs: 60_000 });
        return (await stack.queueDepth('decideFailures')) > 0;
      },
      { timeoutMs: 90_000 },
    );
    decideDown = false;
    const ranges = await stack.queueDepth('decideFailures');
    expect(failedInvocations).toBeGreaterThan(0);
    expect(await stack.readRecords('marketing')).toEqual([]);
    // One profile changes again once decide is back: that newer change is delivered before the replay.
    await writeProfiles([{ profileId: 'r-0', person: { name: { lastName: 'r-0-newer' } } }], {
      tableName: stack.resources.profileTableName,
      client: stack.clients.dynamodb,
    });
    await stack.waitForIdle({ timeoutMs: 60_000 });
    expect((await stack.readRecords('marketing')).map((r) => r.partitionKey)).toEqual(['r-0']);

    const dryRun = await replay(['decide', 'replay', '--dry-run']);

    expect(dryRun.exitCode).toBe(0);
    const planned = dryRun.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(planned).toHaveLength(ranges);
    expect(planned.every((p) => p.status === 'planned')).toBe(true);
    expect(planned.reduce((n, p) => n + p.records, 0)).toBe(PROFILES.length);
    expect(await stack.queueDepth('decideFailures')).toBe(ranges);

    const withoutYes = await replay(['decide', 'replay']);

    expect(withoutYes.exitCode).toBe(2);
    expect(withoutYes.message).toMatch(/pass --yes to confirm without a terminal/);

    const run = await replay(['decide', 'replay', '--yes']);

    expect(run.exitCode).toBe(0);
    expect(
      run.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).status),
    ).toEqual(new Array(ranges).fill('replayed'));
    await stack.waitForIdle({ timeoutMs: 60_000 });
    const delivered = await stack.readRecords('marketing');
    expect([...new Set(delivered.map((r) => r.partitionKey))].sort()).toEqual(PROFILES);
    const lastName = (id: string) => {
      const data = delivered.filter((r) => r.partitionKey === id).at(-1)?.data as
        | { person?: { name?: { lastName?: string } } }
        | undefined;
      return data?.person?.name?.lastName;
    };
    // The replayed, older change of r-0 was followed by its current state: the last record is current.
    expect(lastName('r-0')).toBe('r-0-newer');
    expect(delivered.filter((r) => r.partitionKey === 'r-0').length).toBeGreaterThanOrEqual(3);
    expect(lastName('r-1')).toBe('r-1-exited');
    expect(await stack.queueDepth('decideFailures')).toBe(0);
    expect(await stack.queueDepth('rejects')).toBe(0);
  });

  it('says there is nothing to replay once the queue is empty', async () => {
    const run = await replay(['decide', 'replay', '--yes']);

    expect(run.exitCode).toBe(0);
    expect(run.stderr).toContain('the decide-failures queue holds no failure to replay');
  });
});
