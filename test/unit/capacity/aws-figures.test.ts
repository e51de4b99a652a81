import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AWS_FIGURES } from '../../../core/capacity/aws-figures.js';

const benchmarks = readFileSync('BENCHMARKS.md', 'utf8');
const section = benchmarks.slice(benchmarks.indexOf("## At the page's envelope"));

describe('the AWS figures of the capacity model', () => {
  it('are each listed with their source in BENCHMARKS.md, "At the page\'s envelope"', () => {
    expect(section.startsWith("## At the page's envelope")).toBe(true);
    for (const [name, figure] of Object.entries(AWS_FIGURES)) {
      const row = section.split('\n').find((line) => line.includes(`\`${name}\``));
      expect(row, name).toBeDefined();
      expect(row, name).toContain(figure.value.toLocaleString('en-US'));
    }
  });

  it('each name a source, and say when it is not AWS', () => {
    for (const [name, figure] of Object.entries(AWS_FIGURES)) {
      expect(figure.source.length, name).toBeGreaterThan(10);
      if ('thirdParty' in figure && figure.thirdParty) expect(figure.source, name).toMatch(/third-party/);
    }
  });
});
