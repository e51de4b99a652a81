import { describe, expect, it } from 'vitest';
import { buildProfileChange, type ChangeImages } from '../../../core/profile-change.js';
import { john } from './fixtures.js';

describe('buildProfileChange()', () => {
  it.each([
    ['an insert from a new image alone', { newImage: john() }, 'INSERT'],
    ['a modify from both images', { oldImage: john(), newImage: john() }, 'MODIFY'],
    ['a delete from an old image alone', { oldImage: john() }, 'REMOVE'],
    ['the given event name', { eventName: 'MODIFY', newImage: john() }, 'MODIFY'],
  ] as [string, ChangeImages, string][])('builds %s', (_label, images, eventName) => {
    const built = buildProfileChange(images);

    expect(built).toMatchObject({ ok: true, profileId: 'p-1', change: { eventName } });
  });

  it.each([
    ['no image at all', {}, { kind: 'no-image' }],
    [
      'a modify without its new image',
      { eventName: 'MODIFY', oldImage: john() },
      { kind: 'missing-image', image: 'newImage' },
    ],
    [
      'a remove without its old image',
      { eventName: 'REMOVE', newImage: john() },
      { kind: 'missing-image', image: 'oldImage' },
    ],
    [
      'images of two profiles',
      { oldImage: john(), newImage: john({ profileId: 'p-2' }) },
      { kind: 'different-profiles', oldProfileId: 'p-1', newProfileId: 'p-2' },
    ],
  ] as [string, ChangeImages, object][])('refuses %s', (_label, images, problem) => {
    const built = buildProfileChange(images);

    expect(built).toMatchObject({ ok: false, problem });
  });
});
