/**
 * The test factories (test/helpers/factories.ts) make what production makes and reads: a test that
 * builds its input with them never feeds a shape production no longer sends.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config.js';
import {
  exportDocumentOf,
  exportMessageSchema,
  messageGroupIdFor,
  readExportMessage,
} from '../../core/export-message.js';
import { parseStreamRecord } from '../../core/stream-record.js';
import {
  config,
  destination,
  exportMessage,
  exportQueueRecord,
  member,
  membership,
  parsedDestination,
  profile,
  SEG,
  sqsMessage,
  streamRecord,
} from '../helpers/factories.js';

describe('config()', () => {
  it('is a valid config whose catalog holds the mapped segments', () => {
    const built = config({ destinations: [destination({ id: 'raw', segments: [SEG.john, 'seg-x'] })] });

    expect(parseConfig(JSON.parse(JSON.stringify(built)))).toEqual(built);
    expect(built.segmentCatalog.map((s) => s.id)).toEqual([SEG.john, 'seg-x']);
    expect(built.destinations[0]?.streamName).toBe('raw-exports');
    expect(parsedDestination().streamName).toBe('profile-exports');
  });
});

describe('streamRecord()', () => {
  it('is a stream record the decide function parses: INSERT, MODIFY or REMOVE from the images', () => {
    const before = profile();
    const after = member({ [SEG.john]: membership('realized') });

    const parsed = [
      streamRecord({ newImage: after }),
      streamRecord({ oldImage: before, newImage: after }),
      streamRecord({ oldImage: before }),
    ].map((r) => parseStreamRecord(r));

    expect(parsed.map((p) => (p.ok ? p.change.eventName : p.reason))).toEqual(['INSERT', 'MODIFY', 'REMOVE']);
    expect(parsed.every((p) => p.ok && p.profileId === 'p-1')).toBe(true);
  });
});

describe('exportMessage() and exportQueueRecord()', () => {
  it('carry the body production sends, with its group, deduplication id and receive count', () => {
    const document = {
      person: { name: { lastName: 'Doe' } },
      segmentMembership: { ups: {} },
      identityMap: {},
    };
    const queued = exportMessage({ destinationId: 'analytics', profileId: 'p-9', document });

    const record = exportQueueRecord({ message: queued, receiveCount: 3 });
    const message = exportMessageSchema.parse(readExportMessage(record.body));

    expect(message).toEqual(queued.message);
    expect(exportDocumentOf(message)).toEqual(document);
    expect(record.attributes).toMatchObject({
      MessageGroupId: messageGroupIdFor('analytics', 'p-9'),
      MessageDeduplicationId: queued.message.exportId,
      ApproximateReceiveCount: '3',
    });
    expect(sqsMessage({ message: queued }).Body).toBe(queued.body);
  });

  it('reads the group and deduplication id of a body given as it is', () => {
    const queued = exportMessage({ profileId: 'p-2' });

    expect(exportQueueRecord({ body: queued.body }).attributes).toMatchObject({
      MessageGroupId: 'marketing:p-2',
      MessageDeduplicationId: queued.message.exportId,
    });
    expect(exportQueueRecord({ body: 'not json' }).attributes.MessageGroupId).toBe(exportMessage().groupId);
  });
});
