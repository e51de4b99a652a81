import { afterEach, describe, expect, it, vi } from 'vitest';
import { invokeHandler } from '../../local/event-sources/invoke.js';
import { captureMetricOutput, MetricsStore } from '../../local/metrics-store.js';

const EMF = JSON.stringify({
  _aws: {
    Timestamp: 1,
    CloudWatchMetrics: [
      { Namespace: 'KinesisDestination', Dimensions: [['service']], Metrics: [{ Name: 'RecordsPut' }] },
    ],
  },
  service: 'kinesis-destination',
  RecordsPut: 2,
});

let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  restore = undefined;
  vi.restoreAllMocks();
});

describe('captureMetricOutput()', () => {
  it("keeps the EMF lines a handler prints in the store, with the function's name, and prints them not", async () => {
    const printed: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      printed.push(String(chunk));
      return true;
    });
    const store = new MetricsStore(() => []);
    restore = captureMetricOutput(store);

    await invokeHandler(
      async () => {
        process.stdout.write(`${EMF}\n`);
        process.stdout.write('{"level":"WARN","message":"a log line"}\n');
      },
      {},
      { functionName: 'export', timeoutMs: 1_000 },
    );

    expect(store.documents().map((d) => [d.functionName, d.document.RecordsPut])).toEqual([['export', 2]]);
    expect(printed).toEqual(['{"level":"WARN","message":"a log line"}\n']);
    restore();
    restore = undefined;
    expect(process.stdout.write).toBe(write);
  });

  it('leaves an EMF line printed outside any invocation to stdout', () => {
    const printed: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      printed.push(String(chunk));
      return true;
    });
    const store = new MetricsStore(() => []);
    restore = captureMetricOutput(store);

    process.stdout.write(`${EMF}\n`);

    expect(store.documents()).toHaveLength(0);
    expect(printed).toEqual([`${EMF}\n`]);
  });
});
