/**
 * `evaluate` and `profile put` on bad input: exit code 2 and one message naming the file, the
 * document index and field path — and the line and column of every JSON syntax error — never
 * exit 1 or a stack trace. And exact numbers in `evaluate`'s output.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'input-errors-'));
function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** Runs the real CLI; resolves with exit code, stdout and stderr. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'bin/cli.ts', ...args], {
      env: {
        ...process.env,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        // Nothing may be written: a write would fail on this closed port and exit 1.
        AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
      },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const MEMBER =
  '"segmentMembership": {"ups": {"d1e0f2a3-6f00-4c2b-9d5e-de10aea0c4a5": {"status": "realized", "lastQualificationTime": "2022-01-11T21:24:39Z"}}}';
const deep = (levels: number) => `${'{"a":'.repeat(levels)}"leaf"${'}'.repeat(levels)}`;

describe('profile put on bad input', () => {
  it.concurrent.each([
    [
      'a number DynamoDB cannot store exactly (39 digits), by document index and field',
      '{"profileId": "p-1"}\n{"profileId": "p-2", "loyalty": {"points": 123456789012345678901234567890123456789}}\n',
      /^invalid profile:\n {2}- \[1\]\.loyalty\.points: the number 123456789012345678901234567890123456789 has 39 significant digits; DynamoDB stores at most 38/,
    ],
    [
      'a number beyond DynamoDB range',
      '[{"profileId": "p-1"}, {"profileId": "p-2", "score": 1e400}]',
      /\[1\]\.score: the number 1e400 is too large for DynamoDB/,
    ],
    [
      'an attribute nested thousands of levels deep, by field path',
      `{"profileId": "p-1", "person": ${deep(5_000)}}`,
      /^invalid profile:\n {2}- person(\.a){31}: is nested deeper than DynamoDB's 32 levels/,
    ],
    [
      'a syntax error in NDJSON, by line and column',
      '{"profileId": "p-1"}\n{"profileId": "p-2"}\n{"profileId": "p-3",, }\n',
      /--file ".*ndjson-3\.json": invalid JSON: Expected a property name in double quotes, found ',' at line 3, column 21$/m,
    ],
    [
      'a syntax error in a multi-line document, by line and column',
      '{\n  "profileId": "p-1",\n  "person": {\n    "name": "John"\n    "age": 3\n  }\n}\n',
      /invalid JSON: Expected ',' or '}' after a property value, found '"' at line 5, column 5$/m,
    ],
  ])('exits 2 naming %s', async (label, content, message) => {
    const path = file(
      // One file per case: the cases run at once.
      label === 'a syntax error in NDJSON, by line and column'
        ? 'ndjson-3.json'
        : `${label.replace(/[^a-z0-9]+/gi, '-')}.json`,
      content,
    );

    const { code, stdout, stderr } = await cli('profile', 'put', '--file', path, '--table', 'profiles');

    expect(stderr).toMatch(message);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});

describe('evaluate on bad input', () => {
  it.concurrent('exits 2 with the field path for a mapped attribute nested thousands of levels deep', async () => {
    const path = file(
      'deep-profile.json',
      `{"profileId": "p-1", ${MEMBER}, "person": {"name": ${deep(5_000)}}}`,
    );

    const { code, stderr } = await cli('evaluate', '--new', path);

    expect(stderr).toMatch(
      /deep-profile\.json": not a valid profile:\n {2}- person\.name(\.a){30}: is nested deeper than DynamoDB's 32 levels/,
    );
    expect(code).toBe(2);
    expect(stderr).not.toMatch(/RangeError|\n\s+at /);
  });

  it.concurrent('exits 2 with the line and column of a syntax error in the config file', async () => {
    const config = file('broken-config.json', '{\n  "destinations": [\n    {"id": "x",}\n  ]\n}\n');

    const { code, stderr } = await cli(
      'evaluate',
      '--config',
      config,
      '--new',
      'examples/profiles/john-after.json',
    );

    expect(stderr).toMatch(/broken-config\.json": invalid JSON: .* at line 3, column 16$/m);
    expect(code).toBe(2);
  });

  it.concurrent('exits 2 at once for a config that is a FIFO, without waiting for a writer', async () => {
    const fifo = join(dir, 'config.fifo');
    execFileSync('mkfifo', [fifo]);

    const { code, stderr } = await cli(
      'evaluate',
      '--config',
      fifo,
      '--new',
      'examples/profiles/john-after.json',
    );

    expect(stderr).toMatch(/config\.fifo": not a regular file \(a device, pipe or socket\)/);
    expect(code).toBe(2);
  });
});

describe('evaluate on exact numbers', () => {
  it('prints a mapped number beyond 2^53 with exactly its digits', async () => {
    const path = file(
      'big-number.json',
      `{"profileId": "p-1", ${MEMBER}, "person": {"name": {"firstName": 12345678901234567890123.5}}}`,
    );

    const { code, stdout } = await cli('evaluate', '--new', path);

    expect(code).toBe(0);
    expect(stdout).toContain('"firstName": 12345678901234567890123.5');
  });
});
