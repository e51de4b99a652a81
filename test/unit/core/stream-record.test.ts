import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { decideExports } from '../../../core/decide.js';
import { parseStreamRecord } from '../../../core/stream-record.js';
import { compiledConfig, member, membership, profile, SEG, streamRecord } from '../../helpers/factories.js';

/** A record of this file's ids (event e-1, sequence 42), created at 1_700_000_000.5 s. */
function record(eventName: string, images: { OldImage?: unknown; NewImage?: unknown }): DynamoDBRecord {
  return streamRecord({
    eventName,
    oldImage: images.OldImage as Record<string, unknown> | undefined,
    newImage: images.NewImage as Record<string, unknown> | undefined,
    eventId: 'e-1',
    sequenceNumber: '42',
    createdAtSeconds: 1_700_000_000.5,
  });
}

describe('parseStreamRecord()', () => {
  it('turns a MODIFY record into a validated change with its ids and creation time in ms', () => {
    const parsed = parseStreamRecord(record('MODIFY', { OldImage: profile(), NewImage: profile() }));

    expect(parsed).toMatchObject({
      ok: true,
      profileId: 'p-1',
      eventId: 'e-1',
      sequenceNumber: '42',
      approximateCreationTime: 1_700_000_000_500,
    });
  });

  it('decides the same whether it unmarshalls every field or only the fields the decision reads', () => {
    const config = compiledConfig([
      {},
      { id: 'loyalty', segments: [SEG.john], attributes: ['loyalty.tier'] },
    ]);
    const before = member(
      { [SEG.john]: membership('realized') },
      { loyalty: { tier: 'silver' }, hobbies: ['time travel'] },
    );
    const after = member(
      { [SEG.john]: membership('realized'), [SEG.delorean]: membership('realized') },
      { loyalty: { tier: 'gold' }, hobbies: [] },
    );
    const raw = record('MODIFY', { OldImage: before, NewImage: after });

    const full = parseStreamRecord(raw);
    const projected = parseStreamRecord(raw, { fields: config.fieldsRead });

    if (!full.ok || !projected.ok) throw new Error('unparsable');
    expect(projected.change.newImage).not.toHaveProperty('hobbies');
    expect(decideExports(projected.change, config)).toEqual(decideExports(full.change, config));
  });

  it.each([
    [
      'an image that fails the schema',
      record('MODIFY', { OldImage: profile(), NewImage: { ...profile(), identityMap: { ecid: 'nope' } } }),
      /dynamodb\.NewImage\.identityMap\.ecid/,
    ],
    [
      'an image without a profile id',
      record('INSERT', { NewImage: { person: {} } }),
      /dynamodb\.NewImage\.profileId: is required/,
    ],
    ['a MODIFY without its new image', record('MODIFY', { OldImage: profile() }), /NEW_AND_OLD_IMAGES/],
    ['an unknown event name', record('UPSERT', { NewImage: profile() }), /eventName: "UPSERT"/],
  ])('reports %s as a poison record with the field at fault', (_label, raw, reason) => {
    const parsed = parseStreamRecord(raw);

    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toMatch(reason);
  });
});
