import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CompiledConfig } from '../../../core/compiled-config.js';
import { decideExports } from '../../../core/decide.js';
import type { StoredProfile } from '../../../core/profile.js';
import { CATALOG, compiledConfig, membership, profile, SEG, segment } from '../../helpers/factories.js';

const golden = (name: string) => readFileSync(new URL(`../../golden/${name}`, import.meta.url), 'utf8');
const render = (document: unknown) => `${JSON.stringify(document, null, 2)}\n`;

const EXITED = '7841ba61-23c1-4bb3-a495-00d3g5fe1e93';
const QUALIFIED = '59bd2fkd-3c48-4b18-bf56-4f5c5e6967ae';

function exportOf(config: CompiledConfig, oldImage: StoredProfile, newImage: StoredProfile) {
  const [decision] = decideExports({ eventName: 'MODIFY', oldImage, newImage }, config);
  if (decision === undefined || !decision.export)
    throw new Error(`expected an export, got ${JSON.stringify(decision)}`);
  return decision.document;
}

describe('buildExportDocument() against the source page', () => {
  it('reproduces the exported-data example byte for byte', () => {
    const config = compiledConfig(
      [{ segments: [EXITED, QUALIFIED, SEG.delorean] }],
      [
        segment({ id: EXITED, name: 'Exited segment', createdAt: 1, updatedAt: 2 }),
        segment({ id: QUALIFIED, name: 'Qualified segment', createdAt: 1, updatedAt: 2 }),
        ...CATALOG,
      ],
    );
    const identityMap = {
      ecid: [
        { id: '14575006536349286404619648085736425115' },
        { id: '66478888669296734530114754794777368480' },
      ],
      email_lc_sha256: [
        { id: '655332b5fa2aea4498bf7a290cff017cb4' },
        { id: '66baf76ef9de8b42df8903f00e0e3dc0b7' },
      ],
    };
    // Stored order deliberately differs from the page: the builder's order must not depend on it.
    const ups = {
      [SEG.docBrownFans]: membership('realized', '2022-01-11T23:37:33Z'),
      [SEG.newsletterEu]: membership('realized', '2022-01-05T10:00:00Z'),
      [QUALIFIED]: membership('realized', '2022-01-02T23:37:33Z'),
      [SEG.backToTheFuture]: membership('realized', '2021-08-25T23:37:33Z'),
      [EXITED]: membership('exited', '2022-01-11T21:24:39Z'),
    };
    const before = profile({
      person: { name: { lastName: 'Doe', firstName: 'John' }, gender: 'male', birthDate: 'YYYY-MM-DD' },
      identityMap,
      segmentMembership: { ups: { ...ups, [EXITED]: membership('realized', '2022-01-11T21:24:39Z') } },
    });
    const after = profile({ ...before, segmentMembership: { ups } });

    expect(render(exportOf(config, before, after))).toBe(golden('page-example-export.json'));
  });

  it.each([
    ['page-example-names-and-timestamps.json', true],
    ['page-example-timestamps.json', false],
  ])('reproduces the segment entry of %s', (file, includeSegmentNames) => {
    const config = compiledConfig([
      {
        segments: [SEG.john],
        attributes: ['person.name.firstName'],
        includeSegmentNames,
        includeSegmentTimestamps: true,
      },
    ]);
    const before = profile({
      person: { name: { firstName: 'John', lastName: 'Doe' } },
      identityMap: { ecid: [{ id: '14575006536349286404619648085736425115' }] },
      segmentMembership: { ups: {} },
    });
    const after = profile({
      ...before,
      segmentMembership: { ups: { [SEG.john]: membership('realized', '2019-04-15T02:41:50+0000') } },
    });

    expect(render(exportOf(config, before, after))).toBe(golden(file));
  });
});
