import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { compileConfig } from '../../../core/compiled-config.js';
import { parseConfig } from '../../../core/config.js';
import { decideExports } from '../../../core/decide.js';
import { ConfigError } from '../../../core/errors.js';
import { RESERVED_FIELD_NAMES, setAtPath } from '../../../core/field-path.js';
import { stringifyExact } from '../../../core/json-text.js';
import { buildExportDocument } from '../../../core/payload.js';
import { safeParseProfile, safeParseStoredProfile } from '../../../core/profile.js';
import { buildProfileChange } from '../../../core/profile-change.js';
import { mergeProfileWrite } from '../../../core/profile-merge.js';
import { CATALOG, destination, SEG } from '../../helpers/factories.js';

const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype).sort();

/** Object.prototype as the language defines it: no property added, none replaced. */
function expectPristinePrototype(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTOTYPE_NAMES);
  expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  expect(Object.getPrototypeOf({})).toBe(Object.prototype);
}

afterEach(() => {
  // A test that polluted the prototype must not pass the next one silently.
  for (const name of Object.getOwnPropertyNames(Object.prototype)) {
    if (!PROTOTYPE_NAMES.includes(name)) delete (Object.prototype as Record<string, unknown>)[name];
  }
});

function issuesOf(input: unknown): readonly string[] {
  try {
    parseConfig(input);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  return [];
}

describe('parseConfig(): reserved names in field paths', () => {
  it.each([
    ['__proto__.isAdmin', '__proto__', "a JavaScript object's prototype link"],
    ['person.__proto__', '__proto__', "a JavaScript object's prototype link"],
    ['constructor.prototype.isAdmin', 'constructor', 'the constructor of a JavaScript object'],
    ['person.constructor', 'constructor', 'the constructor of a JavaScript object'],
    ['loyalty.prototype.tier', 'prototype', 'the prototype of a JavaScript object'],
  ])('refuses the mapped attribute "%s", naming the path and why', (path, name, why) => {
    const issues = issuesOf({
      destinations: [{ ...destination(), attributes: ['person.name.firstName', path] }],
      segmentCatalog: CATALOG,
    });

    expect(issues).toEqual([
      `destinations[0].attributes[1]: "${path}" cannot be mapped: "${name}" is not a field name but ${why}, and a path through it would read and write the prototype every object shares; rename the field`,
    ]);
  });

  it('accepts field names that only contain a reserved word', () => {
    expect(
      issuesOf({
        destinations: [{ ...destination(), attributes: ['person.constructorName', 'proto.prototypes'] }],
        segmentCatalog: CATALOG,
      }),
    ).toEqual([]);
  });

  it.each(['__proto__', 'constructor'])(
    'refuses the segment id "%s" in the catalog and the mapping',
    (id) => {
      const issues = issuesOf({
        destinations: [{ ...destination(), segments: [{ id, mappingCreatedAt: 1, mappingUpdatedAt: 1 }] }],
        segmentCatalog: [...CATALOG, { ...CATALOG[0], id }],
      });

      expect(issues).toContain(
        `destinations[0].segments[0].id: "${id}" cannot be a segment id: it names a JavaScript object's prototype or constructor, not a key`,
      );
      expect(issues.some((i) => i.startsWith(`segmentCatalog[${CATALOG.length}].id:`))).toBe(true);
    },
  );
});

describe('setAtPath()', () => {
  it('writes a "__proto__" segment as a field of its own, never onto a prototype', () => {
    const document: Record<string, unknown> = {};

    setAtPath(document, ['__proto__', 'isAdmin'], true);
    setAtPath(document, ['constructor', 'name'], 'x');

    expectPristinePrototype();
    expect(Object.getPrototypeOf(document)).toBe(Object.prototype);
    expect(stringifyExact(document)).toBe('{"__proto__":{"isAdmin":true},"constructor":{"name":"x"}}');
  });
});

describe('mergeProfileWrite()', () => {
  it('keeps fields named "__proto__" and "constructor" as the profile’s own', () => {
    const document = JSON.parse(
      '{"profileId":"p-1","__proto__":{"isAdmin":true},"person":{"constructor":{"prototype":{"x":1}}},"segmentMembership":{"__proto__":{"a":1}}}',
    );

    const { item, written } = mergeProfileWrite({ profileId: 'p-1' }, document, 1);

    expectPristinePrototype();
    expect(Object.getPrototypeOf(item)).toBe(Object.prototype);
    expect(Object.hasOwn(item, '__proto__')).toBe(true);
    expect(written).toEqual(['__proto__.isAdmin', 'person.constructor.prototype.x']);
  });
});

/** Field names an attacker would try, beside ordinary ones. */
const NAMES = [...RESERVED_FIELD_NAMES, 'isAdmin', 'person', 'name', 'toString', 'valueOf', 'hasOwnProperty'];
const pathArb = fc.array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 4 }).map((p) => p.join('.'));

/** A JSON value whose object keys come from {@link NAMES}, parsed as JSON.parse makes it (own `__proto__` keys). */
const valueArb: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ maxLength: 4 }),
    fc.integer(),
    fc.boolean(),
    fc.dictionary(fc.constantFrom(...NAMES), tie('value'), { maxKeys: 3 }),
  ),
})).value;

const documentArb = fc
  .tuple(fc.dictionary(fc.constantFrom(...NAMES), valueArb, { maxKeys: 4 }), fc.boolean())
  .map(([attributes, member]) =>
    JSON.parse(
      JSON.stringify({
        profileId: 'p-1',
        ...attributes,
        ...(member && {
          segmentMembership: {
            ups: { [SEG.delorean]: { status: 'realized', lastQualificationTime: '2022-01-11T21:24:39Z' } },
          },
        }),
      }),
    ),
  );

describe('no config and no profile can pollute Object.prototype', () => {
  it('holds for every mapped path, written document and export built from them', () => {
    fc.assert(
      fc.property(
        fc.array(pathArb, { minLength: 1, maxLength: 4 }),
        documentArb,
        documentArb,
        (paths, a, b) => {
          let config: ReturnType<typeof parseConfig> | undefined;
          try {
            config = parseConfig({
              destinations: [{ ...destination(), attributes: [...new Set(paths)] }],
              segmentCatalog: CATALOG,
            });
          } catch (error) {
            if (!(error instanceof ConfigError)) throw error;
          }
          if (config !== undefined) {
            for (const path of config.destinations[0]?.attributes ?? [])
              for (const name of path.split('.')) expect(RESERVED_FIELD_NAMES.has(name)).toBe(false);
          }
          const compiled = compileConfig(
            config ?? parseConfig({ destinations: [destination()], segmentCatalog: CATALOG }),
          );
          const written = [a, b].filter((d) => safeParseProfile(d).ok);
          let stored: ReturnType<typeof mergeProfileWrite>['item'] | undefined;
          for (const document of written) {
            const previous = stored;
            stored = mergeProfileWrite(previous, document, 1).item;
            const parsed = safeParseStoredProfile(stored);
            if (!parsed.ok) continue;
            const change = buildProfileChange({ oldImage: previous, newImage: parsed.value });
            if (change.ok)
              for (const decision of decideExports(change.change, compiled)) void decision.document;
            const target = compiled.destinations[0];
            if (target !== undefined)
              stringifyExact(buildExportDocument(parsed.value, target, compiled.catalog));
          }
          expectPristinePrototype();
        },
      ),
      { numRuns: 300 },
    );
  });
});
