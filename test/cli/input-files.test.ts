import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../adapters/config-file.js';
import { readTextFile } from '../../adapters/json-file.js';
import { UsageError } from '../../core/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'kd-input-files-'));

describe('readTextFile()', () => {
  it('reads a regular file', () => {
    const path = join(dir, 'small.json');
    writeFileSync(path, '{"a":1}');

    expect(readTextFile(path, 'config')).toBe('{"a":1}');
  });

  it('refuses /dev/zero before reading it, instead of reading forever', () => {
    expect(() => readTextFile('/dev/zero', 'config')).toThrow(
      'config "/dev/zero": not a regular file (a device, pipe or socket); save the content to a file and give its path',
    );
  });

  it('refuses a file over the limit, naming the limit', () => {
    const path = join(dir, 'big.json');
    writeFileSync(path, 'x'.repeat(2_000));

    expect(() => readTextFile(path, '--config', 1_000)).toThrow(
      `--config "${path}": larger than 1,000 bytes, the most read from such a file; check the path`,
    );
    expect(() => readTextFile(path, '--config', 2_000)).not.toThrow();
  });

  it('keeps the reasons for a missing file and a directory', () => {
    expect(() => readTextFile(join(dir, 'nope.json'), 'config')).toThrow('cannot read: no such file');
    expect(() => readTextFile(dir, 'config')).toThrow('cannot read: is a directory');
  });
});

describe('loadConfigFile()', () => {
  it('fails fast with a usage error for --config /dev/zero', () => {
    expect(() => loadConfigFile('/dev/zero')).toThrow(UsageError);
  });
});
