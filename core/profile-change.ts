import type { StoredProfile } from './profile.js';

/** What happened to the profile item: DynamoDB Streams' event names. */
export type ChangeEventName = 'INSERT' | 'MODIFY' | 'REMOVE';

/** One change of one profile, as a DynamoDB Streams record describes it (images already validated). */
export interface ProfileChange {
  readonly eventName: ChangeEventName;
  readonly oldImage?: StoredProfile;
  readonly newImage?: StoredProfile;
}

/** Why two images do not make a change; each caller words it for its input. */
export type ChangeProblem =
  /** Neither image was given. */
  | { readonly kind: 'no-image' }
  /** The event needs an image that is absent (INSERT/MODIFY: the new one; REMOVE: the old one). */
  | {
      readonly kind: 'missing-image';
      readonly eventName: ChangeEventName;
      readonly image: 'oldImage' | 'newImage';
    }
  /** The images are of two profiles. */
  | { readonly kind: 'different-profiles'; readonly oldProfileId: string; readonly newProfileId: string };

/** A change and its profile id, or why there is none. */
export type ProfileChangeResult =
  | { readonly ok: true; readonly change: ProfileChange; readonly profileId: string }
  | { readonly ok: false; readonly problem: ChangeProblem };

/** The images of a change, validated (`safeParseStoredProfile`), and its event name if known. */
export interface ChangeImages {
  /** @default - REMOVE without a new image, INSERT without an old one, else MODIFY */
  readonly eventName?: ChangeEventName;
  readonly oldImage?: StoredProfile | undefined;
  readonly newImage?: StoredProfile | undefined;
}

/**
 * The one builder of a {@link ProfileChange} from old and new images (a stream record's, or the
 * files `evaluate` reads): checks that the images fit the event and are of one profile. Never throws.
 */
export function buildProfileChange(images: ChangeImages): ProfileChangeResult {
  const { oldImage, newImage } = images;
  if (images.eventName === undefined && oldImage === undefined && newImage === undefined) {
    return { ok: false, problem: { kind: 'no-image' } };
  }
  const eventName =
    images.eventName ?? (newImage === undefined ? 'REMOVE' : oldImage === undefined ? 'INSERT' : 'MODIFY');
  if (eventName !== 'REMOVE' && newImage === undefined) {
    return { ok: false, problem: { kind: 'missing-image', eventName, image: 'newImage' } };
  }
  if (eventName === 'REMOVE' && oldImage === undefined) {
    return { ok: false, problem: { kind: 'missing-image', eventName, image: 'oldImage' } };
  }
  if (oldImage !== undefined && newImage !== undefined && oldImage.profileId !== newImage.profileId) {
    return {
      ok: false,
      problem: {
        kind: 'different-profiles',
        oldProfileId: oldImage.profileId,
        newProfileId: newImage.profileId,
      },
    };
  }
  const image = newImage ?? oldImage;
  if (image === undefined) return { ok: false, problem: { kind: 'no-image' } };
  return {
    ok: true,
    change: { eventName, ...(oldImage && { oldImage }), ...(newImage && { newImage }) },
    profileId: image.profileId,
  };
}
