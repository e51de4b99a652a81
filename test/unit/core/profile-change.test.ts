import { describe, expect, it } from 'vitest';
import { buildProfileChange, type ChangeImages } from '../../../core/profile-change.js';
import { profile } from '../../helpers/factories.js';

describe('buildProfileChange()', () => {
  it.each([
    ['an insert from a new image alone', { newImage: profile() }, 'INSERT'],
    ['a modify from both images', { oldImage: profile(), newImage: profile() }, 'MODIFY'],
    ['a delete from an old image alone', { oldImage: profile() }, 'REMOVE'],
    ['the given event name', { eventName: 'MODIFY', newImage: profile() }, 'MODIFY'],
  ] as [string, ChangeImages, string][])('builds %s', (_label, images, eventName) => {
    const built = buildProfileChange(images);

    expect(built).toMatchObject({ ok: true, profileId: 'p-1', change: { eventName } });
  });

  it.each([
    ['no image at all', {}, { kind: 'no-image' }],
    [
      'a modify without its new image',
      { eventName: 'MODIFY', oldImage: profile() },
      { kind: 'missing-image', image: 'newImage' },
    ],
    [
      'a remove without its old image',
      { eventName: 'REMOVE', newImage: profile() },
      { kind: 'missing-image', image: 'oldImage' },
    ],
    [
      'images of two profiles',
      { oldImage: profile(), newImage: profile({ profileId: 'p-2' }) },
      { kind: 'different-profiles', oldProfileId: 'p-1', newProfileId: 'p-2' },
    ],
  ] as [string, ChangeImages, object][])('refuses %s', (_label, images, problem) => {
    const built = buildProfileChange(images);

    expect(built).toMatchObject({ ok: false, problem });
  });
});
