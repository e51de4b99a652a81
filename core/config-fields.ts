import { z } from 'zod';
import {
  BOOKKEEPING_FIELD,
  isFieldPath,
  NON_ATTRIBUTE_FIELDS,
  RESERVED_FIELD_NAMES,
  reservedSegmentProblem,
} from './field-path.js';

/**
 * The config file's field-level schemas (core/config.ts composes them): epoch times, region names,
 * mapped attribute paths and segment ids, each with the error that names what is wrong and the fix.
 */

export const epochMs = (what: string) =>
  z
    .number({ error: `is required: ${what}, in UNIX epoch milliseconds (e.g. 1649856570000)` })
    .int('must be a whole number of epoch milliseconds')
    .nonnegative('must not be negative');

export const awsRegion = z
  .string({ error: 'is required: the AWS region of the stream, e.g. "us-east-2"' })
  .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'is not an AWS region name such as "us-east-2"');

export const attributePath = z.string().superRefine((path, ctx) => {
  if (!isFieldPath(path)) {
    ctx.addIssue({
      code: 'custom',
      message: `"${path}" is not a field path: use dot-separated field names such as "person.name.firstName"`,
    });
    return;
  }
  const reserved = reservedSegmentProblem(path);
  if (reserved !== undefined) {
    ctx.addIssue({ code: 'custom', message: reserved });
    return;
  }
  const top = path.split('.')[0] as string;
  if (NON_ATTRIBUTE_FIELDS.has(top) || top === BOOKKEEPING_FIELD) {
    ctx.addIssue({
      code: 'custom',
      message: `"${path}" cannot be mapped: ${top} is exported by its own rules (identityMap and segmentMembership are always included; profileId is the partition key)`,
    });
  }
});

/** A segment id: looked up as a key of a profile's `segmentMembership.ups`, so never an object's own link. */
export const segmentId = (required: string) =>
  z
    .string({ error: required })
    .min(1, 'must not be empty')
    .refine((id) => !RESERVED_FIELD_NAMES.has(id), {
      error: (issue) =>
        `"${String(issue.input)}" cannot be a segment id: it names a JavaScript object's prototype or constructor, not a key`,
    });
