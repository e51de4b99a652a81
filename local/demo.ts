/**
 * `npm start`: the whole pipeline on local emulators, driven through a scenario taken from the
 * source page, with every exported record printed as it arrives and a closing summary.
 *
 * Steps are written one after the other; each waits until the pipeline is idle, so a record's
 * latency is measured from its step's write to its arrival in Kinesis.
 */
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DestinationRecord } from '../adapters/kinesis-reader.js';
import { tailStream } from '../adapters/kinesis-reader.js';
import { writeProfiles } from '../adapters/profile-writer.js';
import { renderFunnel } from '../core/funnel-render.js';
import { stringifyExact } from '../core/json-text.js';
import { type LocalStack, type LocalStackOptions, startLocalStack } from './stack.js';
import { waitFor } from './wait.js';

/** The window of the funnel the demo ends with: the whole run. */
const HOUR_MS = 3_600_000;

const SEGMENTS = {
  john: '5b998cb9-9488-4ec3-8d95-fa8338ced490', // "First name equals John" — mapped (marketing)
  delorean: 'd1e0f2a3-6f00-4c2b-9d5e-de10aea0c4a5', // "Customers with DeLorean Cars" — mapped (marketing)
  bttf: '947c1c46-008d-40b0-92ec-3af86eaf41c1', // "Watched Back to the Future" — unmapped, same merge policy
  docBrown: '5114d758-ce71-43ba-b53e-e2a91d67b67f', // "Fans of Doc Brown" — unmapped, same merge policy
  newsletterEu: 'e8f9a0b1-c2d3-4e5f-a6b7-c8d9e0f1a2b3', // unmapped, other merge policy
  loyaltyGold: 'c4f1b2a0-7d3e-4f5a-8b9c-0a1b2c3d4e5f', // "Loyalty gold members" — mapped (analytics)
} as const;

const at = (iso: string) => ({ status: 'realized' as const, lastQualificationTime: iso });

interface Step {
  readonly title: string;
  readonly expect: string;
  readonly expectedExports: number;
  readonly documents: readonly Record<string, unknown>[];
}

/** The scenario: each step is one of the page's rules (or a change it says must not export). */
const STEPS: readonly Step[] = [
  {
    title: 'three profiles qualify for mapped segments (one more joins unmapped ones only)',
    expect:
      'john and marty to marketing, jane to analytics; "Watched Back to the Future" rides along (same merge policy), the EU newsletter does not',
    expectedExports: 3,
    documents: [
      {
        profileId: 'p-john',
        person: { name: { firstName: 'John', lastName: 'Doe' }, birthDate: '1985-10-26' },
        personalEmail: { address: 'john.doe@acme.com' },
        preferences: { color: 'blue' },
        identityMap: { ecid: [{ id: '14575006536349286404619648085736425115' }] },
        segmentMembership: {
          ups: {
            [SEGMENTS.john]: at('2022-01-11T21:24:39Z'),
            [SEGMENTS.bttf]: at('2021-12-24T10:00:00Z'),
            [SEGMENTS.newsletterEu]: at('2021-11-02T08:00:00Z'),
          },
        },
      },
      {
        profileId: 'p-marty',
        person: { name: { firstName: 'Marty', lastName: 'McFly' }, birthDate: '1968-06-12' },
        personalEmail: { address: 'marty@hillvalley.example' },
        identityMap: { ecid: [{ id: '66478888669296734530114754794777368480' }] },
        segmentMembership: {
          ups: {
            [SEGMENTS.delorean]: at('2022-01-02T23:37:33Z'),
            [SEGMENTS.bttf]: at('2021-12-25T19:00:00Z'),
          },
        },
      },
      {
        profileId: 'p-jane',
        person: { name: { firstName: 'Jane', lastName: 'Roe' } },
        loyalty: { tier: 'gold' },
        identityMap: { ecid: [{ id: '30948023948023948092384092384092384012' }] },
        segmentMembership: { ups: { [SEGMENTS.loyaltyGold]: at('2022-02-01T09:00:00Z') } },
      },
      {
        profileId: 'p-biff',
        person: { name: { firstName: 'Biff', lastName: 'Tannen' } },
        segmentMembership: { ups: { [SEGMENTS.bttf]: at('2021-12-26T12:00:00Z') } },
      },
    ],
  },
  {
    title: 'an identity is added to a qualified profile',
    expect: 'john to marketing, with the whole identityMap (ecid and email_lc_sha256)',
    expectedExports: 1,
    documents: [
      {
        profileId: 'p-john',
        identityMap: { email_lc_sha256: [{ id: '655332b5fa2aea4498bf7a290cff017cb4' }] },
      },
    ],
  },
  {
    title: 'a mapped attribute is overwritten with the same value',
    expect: 'marty to marketing: an overwrite is a change',
    expectedExports: 1,
    documents: [{ profileId: 'p-marty', person: { name: { lastName: 'McFly' } } }],
  },
  {
    title: 'an unmapped attribute changes, and a profile joins an unmapped segment of the same merge policy',
    expect: 'nothing: neither is a relevant update',
    expectedExports: 0,
    documents: [
      { profileId: 'p-john', preferences: { color: 'green' } },
      {
        profileId: 'p-marty',
        segmentMembership: { ups: { [SEGMENTS.docBrown]: at('2022-02-03T12:00:00Z') } },
      },
    ],
  },
  {
    title: 'a profile exits a mapped segment',
    expect: 'marty to marketing with status "exited" (and "Fans of Doc Brown" now rides along)',
    expectedExports: 1,
    documents: [
      {
        profileId: 'p-marty',
        segmentMembership: {
          ups: { [SEGMENTS.delorean]: { status: 'exited', lastQualificationTime: '2022-02-04T08:00:00Z' } },
        },
      },
    ],
  },
];

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s`;
const say = (line = '') => process.stdout.write(`${line}\n`);

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function describeRecord(record: DestinationRecord, names: ReadonlyMap<string, string>): string {
  const doc = (record.data ?? {}) as {
    segmentMembership?: { ups?: Record<string, { status?: string }> };
    identityMap?: Record<string, unknown[]>;
  };
  const segments = Object.entries(doc.segmentMembership?.ups ?? {})
    .map(([id, entry]) => `${names.get(id) ?? id} (${entry.status})`)
    .join(', ');
  const identities = Object.entries(doc.identityMap ?? {})
    .map(([ns, ids]) => `${ns}×${ids.length}`)
    .join(' ');
  return `segments: ${segments || '—'}; identities: ${identities || '—'}`;
}

async function run(stack: LocalStack): Promise<number> {
  const names = new Map(stack.config.segmentCatalog.map((s) => [s.id, s.name]));
  const client = new DynamoDBClient({});
  const abort = new AbortController();
  const arrived: { destinationId: string; record: DestinationRecord; step: number }[] = [];
  let step = 0;
  let stepWrittenAt = Date.now();
  const latencies: number[] = [];
  const shownFull = new Set<string>();

  const tails = stack.config.destinations.map(async (destination) => {
    for await (const record of tailStream(stack.clients.kinesis, destination.streamName, {
      fromStart: true,
      pollIntervalMs: 50,
      signal: abort.signal,
    })) {
      arrived.push({ destinationId: destination.id, record, step });
      // Seen by the tail (polls every 50 ms); kinesalite's arrival timestamps are too coarse for this.
      const seenAt = Date.now();
      const latency = Math.max(0, seenAt - Math.min(stepWrittenAt, seenAt));
      latencies.push(latency);
      say(
        `  ${elapsed()}  ← ${destination.id.padEnd(9)} ${record.partitionKey.padEnd(8)} ${latency} ms  ${describeRecord(record, names)}`,
      );
      if (!shownFull.has(destination.id)) {
        shownFull.add(destination.id);
        say(`             the record's data, exactly as the ${destination.id} stream holds it:`);
        for (const line of stringifyExact(record.data, 2).split('\n')) say(`               ${line}`);
      }
    }
  });

  let profilesWritten = 0;
  let documentsWritten = 0;
  let mismatches = 0;
  const profileIds = new Set<string>();
  for (const [index, current] of STEPS.entries()) {
    step = index + 1;
    say();
    say(`step ${step}/${STEPS.length}: ${current.title}`);
    say(`  expected: ${current.expect}`);
    const before = arrived.length;
    // Latency counts from the end of the step's write: the stream records exist from then on.
    stepWrittenAt = Number.POSITIVE_INFINITY;
    const results = await writeProfiles(current.documents, {
      tableName: stack.resources.profileTableName,
      client,
    });
    stepWrittenAt = Date.now();
    documentsWritten += results.length;
    for (const r of results) profileIds.add(r.profileId);
    const fields = (doc: Record<string, unknown>) =>
      Object.keys(doc)
        .filter((k) => k !== 'profileId')
        .join(', ');
    say(
      `  ${elapsed()}  → wrote ${current.documents.map((d) => `${String(d.profileId)} (${fields(d)})`).join('; ')}`,
    );
    await stack.waitForIdle({ timeoutMs: 20_000 });
    // The tails poll every 50 ms: let them catch up with what is in the streams.
    const inStreams = (
      await Promise.all(stack.config.destinations.map((d) => stack.readRecords(d.id)))
    ).flat().length;
    const deadline = Date.now() + 5_000;
    while (arrived.length < inStreams && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const got = arrived.length - before;
    if (got !== current.expectedExports) mismatches++;
    say(
      `  ${got === current.expectedExports ? '✓' : '✗'} ${got} export(s) (expected ${current.expectedExports})`,
    );
  }
  profilesWritten = profileIds.size;
  abort.abort();
  await Promise.all(tails);
  client.destroy();

  const [rejects, dlq, decideFailures] = await Promise.all([
    stack.queueDepth('rejects'),
    stack.queueDepth('dlq'),
    stack.queueDepth('decideFailures'),
  ]);
  const perDestination = stack.config.destinations
    .map((d) => `${d.id} ${arrived.filter((a) => a.destinationId === d.id).length}`)
    .join(', ');
  say();
  say('summary');
  say(`  profiles written     ${profilesWritten} profiles, ${documentsWritten} documents`);
  say(`  exports              ${arrived.length} (${perDestination})`);
  say(`  rejects              ${rejects}`);
  say(`  dead-letter queue    ${dlq}`);
  say(`  decide failures      ${decideFailures}`);
  say(
    `  latency              p50 ${percentile(latencies, 50)} ms, p95 ${percentile(latencies, 95)} ms (write → record read from Kinesis)`,
  );
  say(`  steps as expected    ${STEPS.length - mismatches}/${STEPS.length}`);
  // The funnel `kinesis-destination status` prints, from the handlers' own metrics (collected, not
  // printed): the export function counts a batch when it answers it, just after its records arrive.
  const delivered = () =>
    stack.metrics.funnel({ sinceMs: HOUR_MS }).report.destinations.reduce((n, d) => n + d.delivered, 0);
  await waitFor('the funnel to count the deliveries', () => delivered() >= arrived.length, {
    timeoutMs: 10_000,
  }).catch(() => undefined);
  say();
  process.stdout.write(renderFunnel(stack.metrics.funnel({ sinceMs: HOUR_MS })));
  return mismatches === 0 && rejects === 0 && dlq === 0 && decideFailures === 0 ? 0 : 1;
}

/** Options of {@link runDemo}: what `npm start -- --console` (bin/demo.ts) adds to the demo. */
export interface DemoOptions {
  /** Added to the local stack's options (the console's handler wrappers). */
  readonly stackOptions?: Pick<LocalStackOptions, 'wrapHandlers'>;
  /** Called once the stack runs, before the scenario. */
  readonly onStarted?: (stack: LocalStack) => void;
  /** Awaited after the scenario's summary, before the stack stops (the console stays up until Ctrl-C). */
  readonly afterScenario?: () => Promise<void>;
}

/** Runs the demo: starts the stack, plays the scenario, prints the summary, stops. Resolves to the exit code. */
export async function runDemo(options: DemoOptions = {}): Promise<number> {
  // Recent SDK releases warn about Node 20 on every client; Lambda runs a newer Node.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  say('kinesis-destination — the pipeline on local emulators');
  say('  profile table (DynamoDB Streams) → decide → export queue (SQS FIFO) → export → Kinesis');
  let stack: LocalStack | undefined;
  try {
    stack = await startLocalStack({
      onProgress: (message) => say(`  ${elapsed()}  ${message}`),
      // Same settings as the CDK stack; the functions' logs are kept off the screen (their EMF metrics
      // are collected by the local runtime, not printed).
      functionEnv: { POWERTOOLS_LOG_LEVEL: 'ERROR' },
      ...options.stackOptions,
    });
    say(`  ${elapsed()}  ready; config ${stack.configPath ?? '(inline)'}`);
    options.onStarted?.(stack);
    const code = await run(stack);
    await options.afterScenario?.();
    return code;
  } catch (error) {
    say(`demo failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    return 1;
  } finally {
    if (stack !== undefined) {
      say(`  ${elapsed()}  stopping the emulators…`);
      await stack.stop();
      say(`  ${elapsed()}  stopped`);
    }
  }
}

// Run as a script (`tsx local/demo.ts`), not when imported (bin/demo.ts, behind `npm start`). Handler
// modules may keep idle keep-alive sockets open: exit explicitly once everything is stopped.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exit(await runDemo());
}
