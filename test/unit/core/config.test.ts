import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/config.js';
import { ConfigError } from '../../../core/errors.js';
import { CATALOG, destination, SEG } from '../../helpers/factories.js';

function issuesOf(input: unknown): readonly string[] {
  try {
    parseConfig(input);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  return [];
}

const withDestination = (overrides: Record<string, unknown>) => ({
  destinations: [{ ...destination(), ...overrides }],
  segmentCatalog: CATALOG,
});

describe('parseConfig()', () => {
  it('accepts the example config shipped with the project', () => {
    const example = JSON.parse(
      readFileSync(new URL('../../../examples/config.json', import.meta.url), 'utf8'),
    );

    expect(parseConfig(example).destinations.map((d) => d.id)).toEqual(['marketing', 'analytics']);
  });

  it('accepts the shape of the issue, with toggles defaulting to off', () => {
    const config = parseConfig({
      destinations: [
        { ...destination(), includeSegmentNames: undefined, includeSegmentTimestamps: undefined },
      ],
      segmentCatalog: CATALOG,
    });

    expect(config.destinations[0]?.includeSegmentNames).toBe(false);
  });

  it.each([
    [
      'a malformed attribute path',
      withDestination({ attributes: ['person.name.firstName', 'person.birthDate', 'person..name'] }),
      'destinations[0].attributes[2]: "person..name" is not a field path: use dot-separated field names such as "person.name.firstName"',
    ],
    [
      'a mapped segment missing from the catalog',
      withDestination({ segments: [{ id: 'nope', mappingCreatedAt: 1, mappingUpdatedAt: 1 }] }),
      'destinations[0].segments[0].id: segment "nope" is not in segmentCatalog: add it there with its name and mergePolicyId',
    ],
    [
      'an identity mapped as an attribute',
      withDestination({ attributes: ['identityMap.ecid'] }),
      'destinations[0].attributes[0]: "identityMap.ecid" cannot be mapped',
    ],
    [
      'a region that is not one',
      withDestination({ region: 'Ohio' }),
      'destinations[0].region: is not an AWS region name such as "us-east-2"',
    ],
    [
      'a missing stream name',
      withDestination({ streamName: undefined }),
      'destinations[0].streamName: is required',
    ],
    [
      'an unknown field',
      withDestination({ streamname: 'x' }),
      'destinations[0]: Unrecognized key: "streamname"',
    ],
    [
      'externalId without roleArn',
      withDestination({ externalId: 'abc123' }),
      'destinations[0].externalId: externalId is only used with roleArn',
    ],
    [
      'a duplicate attribute',
      withDestination({ attributes: ['person.birthDate', 'person.birthDate'] }),
      'destinations[0].attributes[1]: duplicate attribute "person.birthDate" (first at index 0); remove one',
    ],
    [
      'no mapped segment',
      withDestination({ segments: [] }),
      'destinations[0].segments: map at least one segment',
    ],
  ])('names the path and the fix for %s', (_label, input, expected) => {
    expect(issuesOf(input).some((issue) => issue.startsWith(expected))).toBe(true);
  });

  it('reports duplicate destination ids', () => {
    const issues = issuesOf({ destinations: [destination(), destination()], segmentCatalog: CATALOG });

    expect(issues).toContain(
      'destinations[1].id: duplicate destination id "marketing" (first at index 0); remove one',
    );
  });

  it('prefixes every issue with the file it came from', () => {
    expect(() => parseConfig({ destinations: [], segmentCatalog: CATALOG }, 'my-config.json')).toThrow(
      'my-config.json: destinations: configure at least one destination',
    );
  });

  it("keeps a destination's segment mapping order", () => {
    const config = parseConfig(withDestination({}));

    expect(config.destinations[0]?.segments.map((s) => s.id)).toEqual([
      SEG.delorean,
      SEG.john,
      SEG.propensity,
    ]);
  });
});
