import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { BatchMessage, BatchState, MessageStatus } from '../../../core/export-machine.js';
import { isRedriven, parseItem } from '../../../lambdas/export/export-items.js';
import { reportBatch } from '../../../lambdas/export/export-report.js';
import { logRecorder, metricRecorder } from '../../helpers/recorders.js';

const NOW = 1_700_000_100_000;
const failure = { code: 'ProvisionedThroughputExceededException', message: 'slow down', retryable: true };

function message(id: string, receiveCount: number, sourceTime = NOW - 400): BatchMessage {
  return {
    id,
    group: `marketing:${id}`,
    receiveCount,
    export: {
      exportId: `e-${id}`,
      key: `delivered#marketing#${id}`,
      facts: { exportId: `e-${id}`, profileVersion: 1, receiveCount, backfill: false, sourceTime },
    },
  };
}

function batch(entries: [BatchMessage, MessageStatus][]): BatchState {
  return {
    settings: { attempts: 3, maxReceiveCount: 5 },
    entries: entries.map(([m, status]) => ({ message: m, status, via: undefined })),
    closed: false,
  };
}

function report(state: BatchState, redriven: string[] = []) {
  const metrics = metricRecorder();
  reportBatch(state, 0, {
    metrics,
    logger: logRecorder(),
    now: () => NOW,
    fieldsOf: (id) => (id.startsWith('x') ? {} : { destinationId: 'marketing' }),
    redriven: new Set(redriven),
  });
  return metrics;
}

describe('reportBatch()', () => {
  it.each([
    {
      name: 'a first delivery counts delivered and its latency',
      entries: [[message('a', 1), { at: 'delivered' }]] as [BatchMessage, MessageStatus][],
      redriven: [],
      counts: { 'marketing:FunnelDelivered': 1 },
      latencies: [400],
    },
    {
      name: 'a delivery on a retry counts delivered but no latency',
      entries: [[message('a', 2, NOW - 90_000), { at: 'delivered' }]] as [BatchMessage, MessageStatus][],
      redriven: [],
      counts: { 'marketing:FunnelDelivered': 1 },
      latencies: undefined,
    },
    {
      name: 'a redriven delivery counts redriven and delivered, no latency',
      entries: [[message('a', 1, NOW - 3_600_000), { at: 'delivered' }]] as [BatchMessage, MessageStatus][],
      redriven: ['a'],
      counts: { 'marketing:FunnelDelivered': 1, 'marketing:FunnelRedriven': 1 },
      latencies: undefined,
    },
    {
      name: 'a failure SQS hands out again counts retried',
      entries: [[message('a', 1), { at: 'failed', failure, attempted: true }]] as [
        BatchMessage,
        MessageStatus,
      ][],
      redriven: [],
      counts: { 'marketing:FunnelRetried': 1 },
      latencies: undefined,
    },
    {
      name: 'a failure on the last receive counts dead-lettered',
      entries: [[message('a', 5), { at: 'failed', failure, attempted: true }]] as [
        BatchMessage,
        MessageStatus,
      ][],
      redriven: [],
      counts: { 'marketing:FunnelDeadLettered': 1 },
      latencies: undefined,
    },
    {
      name: 'a move to the DLQ counts dead-lettered; a superseded export skipped as stale',
      entries: [
        [message('a', 3), { at: 'dead-lettered', failure, attempts: 3 }],
        [message('b', 1), { at: 'superseded', repeat: false }],
      ] as [BatchMessage, MessageStatus][],
      redriven: [],
      counts: { 'marketing:FunnelDeadLettered': 1, 'marketing:FunnelSkippedStale': 1 },
      latencies: undefined,
    },
  ])('$name', ({ entries, redriven, counts, latencies }) => {
    const metrics = report(batch(entries), redriven);

    expect(Object.fromEntries(metrics.funnelTotals)).toEqual(counts);
    expect(metrics.funnelLatencies.get('marketing')).toEqual(latencies);
    expect(metrics.latencies).toEqual(latencies ?? []);
  });

  it('emits one funnel document per destination for the whole batch', () => {
    const metrics = report(
      batch([
        [message('a', 1), { at: 'delivered' }],
        [message('b', 1), { at: 'delivered' }],
        [message('c', 2), { at: 'failed', failure, attempted: true }],
      ]),
    );

    expect(metrics.funnelDocuments()).toBe(1);
    expect(metrics.funnelLatencies.get('marketing')).toEqual([400, 400]);
  });

  it('counts nothing in the funnel for a message that is not an export (no destination)', () => {
    const metrics = report(
      batch([
        [
          { id: 'x1', group: 'x1', receiveCount: 1 },
          { at: 'dead-lettered', failure, attempts: 1 },
        ],
      ]),
    );

    expect(metrics.funnelDocuments()).toBe(0);
  });
});

function sqsRecord(receiveCount: number, attributes: SQSRecord['messageAttributes'] = {}): SQSRecord {
  const body = JSON.stringify({
    v: 3,
    exportId: 'e-1',
    destinationId: 'marketing',
    profileId: 'p-1',
    profileVersion: 1,
    reasons: ['segment-membership'],
    sourceEventId: 'ev-1',
    sourceTime: NOW - 1000,
    queuedAt: NOW - 900,
  }).replace(/}$/, ',"document":{"profileId":"p-1"}}');
  return {
    messageId: 'm-1',
    receiptHandle: 'r-1',
    body,
    attributes: { ApproximateReceiveCount: String(receiveCount), MessageGroupId: 'marketing:p-1' },
    messageAttributes: attributes,
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:export.fifo',
    awsRegion: 'us-east-1',
  } as unknown as SQSRecord;
}

describe('isRedriven()', () => {
  const none = () => [];
  it.each([
    {
      name: 'a first receive with the dead-letter attributes',
      count: 1,
      attrs: true,
      pending: none,
      expected: true,
    },
    {
      name: 'a first receive whose export its ledger holds pending',
      count: 1,
      attrs: false,
      pending: () => ['e-1'],
      expected: true,
    },
    { name: 'a plain first receive', count: 1, attrs: false, pending: none, expected: false },
    {
      name: 'a retry (second receive) with the attributes',
      count: 2,
      attrs: true,
      pending: () => ['e-1'],
      expected: false,
    },
  ])('is $expected for $name', ({ count, attrs, pending, expected }) => {
    const record = sqsRecord(
      count,
      attrs ? { ErrorCode: { stringValue: 'KMSAccessDenied', dataType: 'String' } as never } : {},
    );
    const item = parseItem(record, new Map([['marketing', {} as never]]));

    expect(isRedriven(item, pending)).toBe(expected);
  });
});
