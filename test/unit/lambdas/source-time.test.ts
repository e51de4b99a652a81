import { describe, expect, it } from 'vitest';
import type { ProfileChange } from '../../../core/profile-change.js';
import { sourceTimeOf } from '../../../lambdas/decide/plan-exports.js';

const STREAM = 1_700_000_040_000;
const NOW = 1_700_000_070_000;
const image = (kd?: { v: number; at: number }) =>
  ({ profileId: 'p-1', ...(kd === undefined ? {} : { __kd: { ...kd, w: [] } }) }) as never;

describe('sourceTimeOf()', () => {
  it.each([
    {
      name: "the writer's stamp of a write it made",
      change: {
        eventName: 'MODIFY',
        oldImage: image({ v: 1, at: 1 }),
        newImage: image({ v: 2, at: NOW - 400 }),
      },
      expected: NOW - 400,
    },
    {
      name: 'the stream time when the writer did not make this change (bookkeeping unchanged)',
      change: { eventName: 'MODIFY', oldImage: image({ v: 2, at: 5 }), newImage: image({ v: 2, at: 5 }) },
      expected: STREAM,
    },
    {
      name: 'the stream time without bookkeeping',
      change: { eventName: 'INSERT', newImage: image() },
      expected: STREAM,
    },
    {
      name: 'the stream time of a deletion',
      change: { eventName: 'REMOVE', oldImage: image({ v: 2, at: 5 }) },
      expected: STREAM,
    },
    {
      name: 'the stream time when the stamp is ahead of this clock',
      change: { eventName: 'INSERT', newImage: image({ v: 1, at: NOW + 1 }) },
      expected: STREAM,
    },
  ])('is $name', ({ change, expected }) => {
    expect(sourceTimeOf(change as unknown as ProfileChange, STREAM, NOW)).toBe(expected);
  });
});
