/** Why a profile is exported. The codes are stable: metrics, logs and the export message use them. */
export const REASON_CODES = [
  'segment-membership',
  'identity-map',
  'mapped-attribute',
  'profile-deleted',
  'backfill',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

/** One reason, with a sentence an operator can read ("why was / wasn't this exported?"). */
export interface Reason {
  readonly code: ReasonCode | 'no-export';
  readonly message: string;
}
