import { describe, expect, it } from 'vitest';
import { StateRecordError } from '../../../core/errors.js';
import { LEDGER_HORIZON_MS } from '../../../core/staleness.js';
import {
  backfillWindowTtl,
  CHECKPOINT_TTL_SECONDS,
  checkpointKey,
  checkpointTtl,
  DEPLOY_CHECKPOINT_KEY,
  deliveredKey,
  destinationKey,
  exportIdOfFailureKey,
  failureKey,
  failureRecordTtl,
  ledgerItem,
  ledgerItemSchema,
  ledgerTtl,
  newCheckpoint,
  pairMarkerKey,
  parseCheckpoint,
  parseDestinationState,
  parseFailureRecord,
  parseLedgerEntry,
  parsePairMarker,
  STATE_KEY_PREFIX,
  STATE_RECORDS,
} from '../../../core/state-records.js';

const AT = 1_700_000_000_000;

describe('state-table keys', () => {
  it('start with their record type’s prefix', () => {
    expect(deliveredKey('marketing', 'p-1')).toBe('delivered#marketing#p-1');
    expect(destinationKey('marketing')).toBe('destination#marketing');
    expect(failureKey('e1')).toBe('failure#e1');
    expect(checkpointKey('marketing', ['b', 'a', 'b'])).toBe('backfill#marketing#a,b');
    expect(DEPLOY_CHECKPOINT_KEY).toBe('backfill#deploy');
    expect(pairMarkerKey({ destinationId: 'marketing', segmentId: 's1' })).toBe('backfill#done#marketing#s1');
  });

  it('give the export id back from a failure key only', () => {
    expect(exportIdOfFailureKey(failureKey('e#1'))).toBe('e#1');
    expect(exportIdOfFailureKey(destinationKey('e1'))).toBeUndefined();
  });

  it('are all listed in the docs’ records, one row per key shape', () => {
    const prefixes = Object.values(STATE_KEY_PREFIX);
    for (const record of STATE_RECORDS) expect(prefixes.some((p) => record.key.startsWith(p))).toBe(true);
    for (const prefix of prefixes) expect(STATE_RECORDS.some((r) => r.key.startsWith(prefix))).toBe(true);
  });
});

describe('expiry', () => {
  it('keeps ledger items the horizon after the write, and a window’s state until it closes', () => {
    expect(ledgerTtl(AT)).toBe((AT + LEDGER_HORIZON_MS) / 1000);
    expect(backfillWindowTtl(AT, AT + 1_000)).toBe(ledgerTtl(AT));
    const farAway = AT + 2 * LEDGER_HORIZON_MS;
    expect(backfillWindowTtl(AT, farAway)).toBe(farAway / 1000);
  });

  it('keeps a failure record at least the horizon after its last failure, a checkpoint 30 days', () => {
    expect(failureRecordTtl(AT)).toBeGreaterThanOrEqual((AT + LEDGER_HORIZON_MS) / 1000);
    expect(checkpointTtl(AT)).toBe(AT / 1000 + CHECKPOINT_TTL_SECONDS);
  });
});

describe('parseLedgerEntry()', () => {
  it('reads back what ledgerItem() stores', () => {
    const entry = { pending: ['e2'], retired: ['e1'], version: 4, liveAt: AT };
    const item = ledgerItem(deliveredKey('d', 'p'), entry, AT);

    expect(ledgerItemSchema.parse(item)).toEqual(item);
    expect(parseLedgerEntry(item)).toEqual(entry);
  });

  it('reads an entry that holds a version only (written before the ledger tracked failures)', () => {
    expect(parseLedgerEntry({ pk: 'delivered#d#p', v: 7 })).toEqual({ pending: [], retired: [], version: 7 });
  });

  it('reads a field of the wrong type as absent instead of throwing', () => {
    expect(parseLedgerEntry({ pending: 'e1', retired: ['e1', 3], v: '7', liveAt: null })).toEqual({
      pending: [],
      retired: ['e1'],
    });
    expect(parseLedgerEntry(undefined)).toEqual({ pending: [], retired: [] });
  });
});

describe('parseDestinationState()', () => {
  it('reads the mark and the window, leaving out what is absent or malformed', () => {
    expect(parseDestinationState({ markedAt: AT, windowUntil: AT + 1, ttl: 1 })).toEqual({
      markedAt: AT,
      windowUntil: AT + 1,
    });
    expect(parseDestinationState({ markedAt: String(AT) })).toEqual({});
  });
});

describe('parseFailureRecord()', () => {
  const stored = {
    pk: 'failure#e1',
    exportId: 'e1',
    destinationId: 'marketing',
    profileId: 'p-1',
    code: 'ResourceNotFoundException',
    message: 'Stream profile-exports not found.',
    attempts: 3,
    firstFailureAt: AT,
    lastFailureAt: AT + 60_000,
    ttl: 1,
  };

  it('reads a record, its export id from the key', () => {
    const { pk: _pk, ttl: _ttl, ...record } = stored;

    expect(parseFailureRecord(stored)).toEqual({ ok: true, record });
    expect(parseFailureRecord({ ...stored, exportId: undefined })).toEqual({ ok: true, record });
  });

  it('names the malformed fields instead of trusting the item', () => {
    const result = parseFailureRecord({ ...stored, attempts: '3', lastFailureAt: undefined });

    expect(result.ok).toBe(false);
    expect(result.ok === false && result.problem).toMatch(
      /failure#e1 is malformed: attempts: .*; lastFailureAt/,
    );
  });

  it('refuses an item of another record type', () => {
    expect(parseFailureRecord({ ...stored, pk: 'delivered#marketing#p-1' })).toEqual({
      ok: false,
      problem: expect.stringContaining('is not a failure record'),
    });
  });
});

describe('parseCheckpoint()', () => {
  const checkpoint = newCheckpoint({
    runId: 'run-1',
    destinationId: 'marketing',
    segmentIds: ['s1'],
    totalSegments: 2,
    at: AT,
  });

  it('reads back a new checkpoint: every segment at its start, expiring 30 days on', () => {
    expect(parseCheckpoint(structuredClone(checkpoint))).toEqual(checkpoint);
    expect(checkpoint.pk).toBe(checkpointKey('marketing', ['s1']));
    expect(checkpoint.segments).toEqual({
      '0': { done: false, scanned: 0, queued: 0 },
      '1': { done: false, scanned: 0, queued: 0 },
    });
    expect(checkpoint.ttl).toBe(checkpointTtl(AT));
    expect(parseCheckpoint(undefined)).toBeUndefined();
  });

  it('throws a StateRecordError naming the key, the field and the fix for a malformed one', () => {
    const broken = { ...checkpoint, status: 'paused', segments: { '0': { done: 'no' } } };

    expect(() => parseCheckpoint(broken)).toThrow(StateRecordError);
    expect(() => parseCheckpoint(broken)).toThrow(
      /backfill checkpoint backfill#marketing#s1 in the state table is malformed: status: .*segments\.0\.done: .*delete the item/,
    );
  });
});

describe('parsePairMarker()', () => {
  it('reads a marker and refuses one without its run id', () => {
    const marker = {
      pk: pairMarkerKey({ destinationId: 'd', segmentId: 's' }),
      destinationId: 'd',
      segmentId: 's',
      runId: 'deploy-1',
      completedAt: AT,
    };

    expect(parsePairMarker(marker)).toEqual(marker);
    expect(() => parsePairMarker({ ...marker, runId: undefined })).toThrow(/runId/);
  });
});
