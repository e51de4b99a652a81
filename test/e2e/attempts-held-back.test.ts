/**
 * End to end on the local stack: real attempts, not receives. One profile's FIFO group holds a head
 * and ten later exports while its destination fails for longer than three receive rounds. The later
 * exports are received again and again behind the head (held back, not attempted), yet none is
 * dead-lettered before three real attempts; each dead letter carries Attempts = 3; and once the
 * destination is back, the rest arrive in the profile's order.
 *
 * A loopback proxy in front of kinesalite plays the outage (`ResourceNotFoundException`, which
 * neither the SDK nor the exporter retries within an invocation, so each put of an export in an
 * invocation is one request) and counts the requests that carry each export: its real attempts.
 */
import { Agent, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeProfiles } from '../../adapters/profile-writer.js';
import { parseConfig } from '../../core/config.js';
import { readDeadLetterReason } from '../../core/dead-letter.js';
import { exportDocumentOf, parseExportMessageBody } from '../../core/export-message.js';
import { PIPELINE_SETTINGS } from '../../core/pipeline-settings.js';
import { forward, readBody, send, sendError } from '../../local/fault-proxy-http.js';
import type { LocalStack } from '../../local/stack.js';
import { waitFor } from '../../local/wait.js';
import { startTestStack } from '../helpers/stack.js';

const SEGMENT = 'seg-customers';
const PROFILE = 'held-back-1';
const VERSIONS = 11;
const config = parseConfig({
  destinations: [
    {
      id: 'outage',
      name: 'Outage',
      region: 'us-east-1',
      streamName: 'attempts-outage',
      includeSegmentNames: false,
      includeSegmentTimestamps: false,
      segments: [{ id: SEGMENT, mappingCreatedAt: 1_700_000_000_000, mappingUpdatedAt: 1_700_000_000_000 }],
      attributes: ['person.name.firstName'],
    },
  ],
  segmentCatalog: [{ id: SEGMENT, name: 'Customers', mergePolicyId: 'mp', createdAt: 1, updatedAt: 1 }],
});

/** The outage switch and what the proxy saw: requests per export (by its document's first name). */
const destination = { down: true, attempts: new Map<string, number>() };
/** Receive counts the export function saw, per export. */
const receives = new Map<string, number[]>();

const nameOf = (data: string) =>
  (JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { person?: { name?: { firstName?: string } } })
    .person?.name?.firstName ?? '?';

/** A proxy in front of the Kinesis emulator that fails every put while the destination is down. */
async function startOutageProxy(target: URL): Promise<{ url: string; server: Server; agent: Agent }> {
  const agent = new Agent({ keepAlive: true });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const body = await readBody(req);
      if (String(req.headers['x-amz-target'] ?? '').endsWith('.PutRecords')) {
        const { Records = [] } = JSON.parse(body.toString('utf8')) as { Records?: { Data: string }[] };
        for (const r of Records) {
          const name = nameOf(r.Data);
          destination.attempts.set(name, (destination.attempts.get(name) ?? 0) + 1);
        }
        if (destination.down) {
          sendError(
            res,
            400,
            'ResourceNotFoundException',
            'Stream attempts-outage under account 000000000000 not found.',
          );
          return;
        }
      }
      const answer = await forward(target, agent, req, body);
      send(res, answer.status, answer.headers, answer.body);
    })().catch(() => sendError(res, 502, 'InternalFailure', 'proxy error'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, agent };
}

let stack: LocalStack;
let proxy: Awaited<ReturnType<typeof startOutageProxy>> | undefined;

beforeAll(async () => {
  stack = await startTestStack({
    config,
    functionKinesisEndpoint: async (emulator) => {
      proxy = await startOutageProxy(new URL(emulator));
      return proxy.url;
    },
    // A failed batch comes back after the visibility timeout: receives in seconds, not minutes.
    timings: { exportVisibilityTimeoutSeconds: 3, exportTimeoutMs: 2_500 },
    decideMapping: { maxBatchingWindowMs: 100 },
    functionEnv: { POWERTOOLS_LOG_LEVEL: 'CRITICAL', POWERTOOLS_METRICS_DISABLED: 'true' },
    wrapHandlers: {
      export: (real) => async (event: SQSEvent, context) => {
        for (const r of event.Records) {
          const parsed = parseExportMessageBody(r.body);
          if (!parsed.ok) continue;
          const name = (exportDocumentOf(parsed.message).person as { name: { firstName: string } }).name
            .firstName;
          receives.set(name, [...(receives.get(name) ?? []), Number(r.attributes.ApproximateReceiveCount)]);
        }
        return real(event, context);
      },
    },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  proxy?.agent.destroy();
  await new Promise((resolve) => proxy?.server.close(resolve));
});

describe('attempts, not receives, end to end', () => {
  it('dead-letters nothing before three real attempts while later exports wait behind a failing head, and keeps order after the outage', async () => {
    for (let v = 1; v <= VERSIONS; v++) {
      await writeProfiles(
        [
          {
            profileId: PROFILE,
            person: { name: { firstName: `v${v}` } },
            segmentMembership: {
              ups: { [SEGMENT]: { status: 'realized', lastQualificationTime: '2024-01-01T00:00:00Z' } },
            },
          },
        ],
        { tableName: stack.resources.profileTableName },
      );
    }
    // The outage lasts until two exports are dead-lettered (more than three receive rounds) and one
    // export behind them was received more than three times without an attempt of its own (on a busy
    // machine decide may queue the later versions late, so the second condition is awaited, not assumed).
    const heldBackUnattempted = () =>
      [...receives].some(
        ([name, counts]) => Math.max(...counts) > 3 && (destination.attempts.get(name) ?? 0) === 0,
      );
    await waitFor(
      'two dead letters and an export received four times unattempted',
      async () => heldBackUnattempted() && (await stack.queueDepth('dlq')) >= 2,
      { timeoutMs: 120_000, intervalMs: 200 },
    );
    destination.down = false;
    await stack.waitForIdle({ timeoutMs: 60_000 });

    // Held back: the later exports were received many times over while the head used its attempts.
    const heldReceives = Math.max(...[...receives.values()].map((counts) => Math.max(...counts)));
    expect(heldReceives).toBeGreaterThan(PIPELINE_SETTINGS.export.attempts);
    // Never more than three real attempts of any export.
    for (const [name, count] of destination.attempts) expect(count, name).toBeLessThanOrEqual(3);

    // Each dead letter: three real attempts, and it says so.
    const { Messages: letters = [] } = await stack.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: stack.resources.deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
      }),
    );
    const dead: string[] = [];
    for (const letter of letters) {
      const parsed = parseExportMessageBody(letter.Body ?? '');
      if (!parsed.ok) throw new Error(parsed.problem);
      const name = (exportDocumentOf(parsed.message).person as { name: { firstName: string } }).name
        .firstName;
      dead.push(name);
      expect(destination.attempts.get(name), name).toBe(3);
      expect(readDeadLetterReason(letter.MessageAttributes), name).toMatchObject({
        errorCode: 'ResourceNotFoundException',
        attempts: 3,
        retryable: true,
        destinationId: 'outage',
      });
    }
    // The head and the next ones went in order, and nothing after them was dead-lettered.
    const version = (name: string) => Number(name.slice(1));
    expect(dead.map(version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: dead.length }, (_, i) => i + 1),
    );

    // Received more than three times and still delivered: receives are not attempts.
    const receivedOften = [...receives].filter(
      ([name, counts]) => Math.max(...counts) > 3 && !dead.includes(name),
    );
    expect(receivedOften.length).toBeGreaterThan(0);

    // The rest arrived after the outage, in the profile's order, once each.
    const delivered = (await stack.readRecords('outage')).map(
      (r) => (r.data as { person: { name: { firstName: string } } }).person.name.firstName,
    );
    expect(delivered).toEqual(
      Array.from({ length: VERSIONS - dead.length }, (_, i) => `v${dead.length + i + 1}`),
    );
  });
});
