import { describe, expect, it } from 'vitest';
import { evaluateImages, parseProfileImage } from '../../../cli/evaluate.js';
import { UsageError } from '../../../core/errors.js';
import { compiledConfig, member, membership, profile, SEG } from '../../helpers/factories.js';

describe('evaluateImages()', () => {
  it('decides an insert per destination, as the evaluate command does', () => {
    const newImage = parseProfileImage(member({ [SEG.john]: membership('realized') }), 'new image');

    const { destinations } = evaluateImages(compiledConfig(), { newImage });

    expect(destinations).toHaveLength(1);
    expect(destinations[0]).toMatchObject({ id: 'marketing', export: true });
    expect(destinations[0]?.reasons[0]).toMatch(/^segment-membership: /);
  });

  it('refuses images of two profiles, and no image at all', () => {
    const oldImage = parseProfileImage(profile({ profileId: 'p-1' }), 'old image');
    const newImage = parseProfileImage(profile({ profileId: 'p-2' }), 'new image');

    expect(() => evaluateImages(compiledConfig(), { oldImage, newImage })).toThrow(
      'the old image is profile "p-1" but the new image is profile "p-2"',
    );
    expect(() => evaluateImages(compiledConfig(), {})).toThrow(UsageError);
  });
});

describe('parseProfileImage()', () => {
  it('names the image and each problem', () => {
    expect(() => parseProfileImage({ profileId: 7 }, 'old image')).toThrow(
      /^old image: not a valid profile:\n {2}- /,
    );
  });
});
