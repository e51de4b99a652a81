/**
 * Why a stream record (or one destination's export of it) went to the rejects queue: the stable codes
 * of the rejects queue's messages (lambdas/decide/plan-exports.ts explains each), declared once so the
 * funnel's `rejected` metrics (core/metric-names.ts) name every one. Pure.
 */
export const REJECT_CODES = [
  'INVALID_RECORD',
  'PROFILE_ID_TOO_LONG',
  'PAYLOAD_TOO_LARGE',
  'UNKNOWN_SEGMENT_STATUS',
  'EXPORT_MESSAGE_TOO_LARGE',
  'EXPORT_MESSAGE_REFUSED',
  'UNEXPECTED_ERROR',
] as const;

/** A reject code: see {@link REJECT_CODES}. */
export type RejectCode = (typeof REJECT_CODES)[number];
