/**
 * The decide function's plan for stream records whose images carry a segment status the source page
 * does not name: the whole record is never rejected for it; only the export of a destination that
 * maps that segment is, with the field in the record.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { planExports } from '../../../lambdas/decide/plan-exports.js';
import { compiledConfig, SEG } from '../../helpers/factories.js';

const config = compiledConfig([{}, { id: 'eu', segments: [SEG.newsletterEu], attributes: [] }]);

let sequence = 0;
function insert(ups: Record<string, string>): DynamoDBRecord {
  sequence++;
  const image = {
    profileId: `p-${sequence}`,
    segmentMembership: {
      ups: Object.fromEntries(
        Object.entries(ups).map(([id, status]) => [
          id,
          { status, lastQualificationTime: '2022-01-11T21:24:39Z' },
        ]),
      ),
    },
  };
  return {
    eventID: `e-${sequence}`,
    eventName: 'INSERT',
    dynamodb: {
      SequenceNumber: String(sequence).padStart(4, '0'),
      ApproximateCreationDateTime: 1_700_000_000,
      Keys: { profileId: { S: image.profileId } },
      NewImage: marshall(image) as Record<string, AttributeValue>,
    },
  };
}

describe('planExports(): segment statuses the page does not name', () => {
  it('queues the mapped change of an image whose unmapped segment has one, and rejects nothing', () => {
    const plan = planExports(
      [insert({ [SEG.backToTheFuture]: 'pending', [SEG.delorean]: 'realized' })],
      config,
      () => 1,
    );

    expect(plan.rejects).toEqual([]);
    expect(plan.exports.map((e) => e.export.message.destinationId)).toEqual(['marketing']);
  });

  it('rejects only the export of the destination that maps the segment, naming the field in the record', () => {
    const plan = planExports(
      [insert({ [SEG.newsletterEu]: 'pending', [SEG.delorean]: 'realized' })],
      config,
      () => 1,
    );

    expect(plan.exports.map((e) => e.export.message.destinationId)).toEqual(['marketing']);
    expect(plan.rejects.map((r) => [r.message.code, r.message.destinationId, r.message.field])).toEqual([
      ['UNKNOWN_SEGMENT_STATUS', 'eu', `dynamodb.NewImage.segmentMembership.ups.${SEG.newsletterEu}.status`],
    ]);

    const both = planExports(
      [insert({ [SEG.newsletterEu]: 'realized', [SEG.delorean]: 'pending', [SEG.john]: 'realized' })],
      config,
      () => 1,
    );
    expect(both.exports.map((e) => e.export.message.destinationId)).toEqual(['eu']);
    expect(both.rejects.map((r) => r.message)).toEqual([
      expect.objectContaining({
        code: 'UNKNOWN_SEGMENT_STATUS',
        destinationId: 'marketing',
        field: `dynamodb.NewImage.segmentMembership.ups.${SEG.delorean}.status`,
      }),
    ]);
  });
});
