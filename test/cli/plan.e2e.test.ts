import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { planFromFlags, planJson, planText } from '../../cli/plan.js';

const run = promisify(execFile);

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    delete env.KD_CONFIG;
    const { stdout, stderr } = await run(process.execPath, ['bin/kinesis-destination.js', ...args], {
      timeout: 60_000,
      env,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('plan', () => {
  it.concurrent('prints one JSON object whose shard count carries 10,000 records/s of 6,000 bytes', async () => {
    const { code, stdout } = await cli(['plan', '--rate', '10000', '--document-bytes', '6000', '--json']);
    expect(code).toBe(0);
    const plan = JSON.parse(stdout) as Record<string, unknown>;
    for (const key of [
      'kinesisShards',
      'exportConcurrency',
      'decideParallelizationFactor',
      'p95Ms',
      'monthlyCostUsd',
    ])
      expect(typeof plan[key], key).toBe('number');
    expect(Array.isArray(plan.bottlenecks)).toBe(true);
    const shards = plan.kinesisShards as number;
    // Per shard: 1,000 records/s and 1 MB/s; a record is the document plus its partition key.
    expect(shards * 1_000).toBeGreaterThanOrEqual(10_000);
    expect(shards * 1_000_000).toBeGreaterThanOrEqual(10_000 * (6_000 + 36));
    // Even at 1 MiB/s per shard, 60 MB/s needs ceil(60,000,000 / 1,048,576) = 58.
    expect(shards).toBeGreaterThanOrEqual(Math.ceil((10_000 * 6_000) / 1_048_576));
    expect(plan.kinesisShardsMinimum).toBe(61);
    expect(plan.p95Ms as number).toBeLessThan(2_000);
    // Sized for its rate, the model carries it: no bottleneck, no backlog.
    expect(plan.bottleneck).toBe('none');
    expect(plan.backlog).toEqual({ growthPerSecond: 0, minutesToPromise: null });
  });

  it.concurrent.each([
    [['plan', '--rate', '-5'], /--rate must be a number above 0 and at most 1,000,000/],
    [['plan', '--rate', 'fast'], /--rate must be a number above 0 and at most 1,000,000/],
    [['plan', '--rate', '100', '--document-bytes', '0'], /--document-bytes must be/],
    [['plan', '--rate', '100', '--config', 'no/such/config.json'], /no\/such\/config\.json/],
  ])('refuses %j with exit code 2 and a one-line reason', async (args, reason) => {
    const { code, stdout, stderr } = await cli(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    const lines = stderr
      .trim()
      .split('\n')
      .filter((l) => !l.includes('Node.js'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(reason);
  });

  it('turns an invalid config into one line naming the file and the field', () => {
    expect(() => planFromFlags({ rate: '100', config: 'package.json' })).toThrow(
      /package\.json: .*destinations/,
    );
  });

  it('counts the destinations of the config and answers the backfill of --profiles', () => {
    const plan = planFromFlags({
      rate: '1000',
      config: 'examples/config.json',
      profiles: '10000000',
      segments: '50',
    });
    expect(plan.destinations).toBe(2);
    expect(plan.backfill?.scans).toBe(1);
    expect(plan.backfill?.minutes).toBeLessThanOrEqual(15);
    expect(planText(plan)).toMatch(/one scan for 50 newly mapped segment\(s\)/);
    expect(JSON.parse(planJson(plan)).backfill.segments).toBe(50);
  });

  it('lists each limit the rate runs into', () => {
    const plan = planFromFlags({ rate: '10000', documentBytes: '6000' });
    expect(plan.bottlenecks.join('\n')).toMatch(/per-table quota of 40000/);
  });
});
