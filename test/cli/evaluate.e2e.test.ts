import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { evaluateCommand } from '../../cli/evaluate.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'evaluate-'));
function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** Runs the real CLI; resolves with exit code, stdout and stderr. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'bin/cli.ts', ...args], {
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('evaluate', () => {
  it.concurrent('prints one JSON object with a decision, readable reasons and the payload per destination', async () => {
    const { code, stdout } = await cli(
      'evaluate',
      '--old',
      'examples/profiles/john-before.json',
      '--new',
      'examples/profiles/john-after.json',
    );

    const output = JSON.parse(stdout);
    expect(code).toBe(0);
    expect(output.destinations.map((d: { id: string; export: boolean }) => [d.id, d.export])).toEqual([
      ['marketing', true],
      ['analytics', false],
    ]);
    expect(output.destinations[0].reasons[0]).toMatch(
      /^segment-membership: mapped segment "Customers with DeLorean Cars"/,
    );
    expect(output.destinations[1].payload).toBeNull();
  });

  it('evaluates a DynamoDB Streams record as found in a Lambda event', () => {
    const output = evaluateCommand({ record: 'examples/profiles/stream-record.json' });

    expect(output.destinations[0]?.reasons).toEqual([
      'mapped-attribute: written: person.name.firstName (same value)',
    ]);
  });

  it('treats --old alone as a delete', () => {
    const output = evaluateCommand({ old: 'examples/profiles/john-after.json' });

    expect(output.destinations[0]?.reasons[0]).toMatch(/^profile-deleted:/);
  });

  it.concurrent.each([
    [
      'an unreadable file',
      ['--new', '/nonexistent/b.json'],
      /^--new "\/nonexistent\/b\.json": cannot read: no such file/,
    ],
    [
      'invalid JSON',
      ['--new', file('broken.json', '{"profileId": "p-1",\n  oops}')],
      /invalid JSON: .* at line 2, column 3/,
    ],
    [
      'a profile that fails the schema',
      [
        '--new',
        file('bad-profile.json', {
          profileId: 'p-1',
          segmentMembership: {
            // A status the page does not name is judged per destination (core/decide.ts); a time
            // that is not one fails the image.
            ups: { s1: { status: 'qualified', lastQualificationTime: 'yesterday' } },
          },
        }),
      ],
      /bad-profile\.json": not a valid profile:\n {2}- segmentMembership\.ups\.s1\.lastQualificationTime: must be an ISO-8601 date-time/,
    ],
    [
      'an invalid config',
      [
        '--config',
        file('config.json', { destinations: [{ id: 'x' }], segmentCatalog: [] }),
        '--new',
        'examples/profiles/john-after.json',
      ],
      /config\.json: destinations\[0\]\.name: is required/,
    ],
    ['no profile at all', [], /give --new \(and --old for an update\)/],
    [
      'a stream record without images',
      [
        '--record',
        file('record.json', { eventID: 'e', eventName: 'MODIFY', dynamodb: { SequenceNumber: '1' } }),
      ],
      /NewImage is missing/,
    ],
  ])('exits with code 2 and one clear message for %s', async (_label, args, message) => {
    const { code, stdout, stderr } = await cli('evaluate', ...args);

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
