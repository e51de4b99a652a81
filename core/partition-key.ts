/**
 * The Kinesis partition-key limit, defined once: the profile schema, the decide function and the
 * export function all ask this module whether a profile id can be a partition key.
 *
 * AWS documents partition keys as "Unicode strings with a maximum length limit of 256 characters".
 * The service validates the request as a Java string, whose length is counted in UTF-16 code units:
 * a character outside the Basic Multilingual Plane (an emoji) counts twice, so 130 emoji (130 code
 * points, 260 UTF-16 units) are refused with a `ValidationException` for the whole `PutRecords` call.
 * kinesalite counts the same way (JavaScript's `length`), which the local end-to-end test shows.
 * Counting in UTF-16 units is also the conservative reading: it is never less than the count of
 * code points, so a key accepted here is accepted however the service counts.
 */

/** The longest partition key Kinesis accepts, in UTF-16 code units. */
export const PARTITION_KEY_MAX_LENGTH = 256;

/** A partition key's length as Kinesis counts it: UTF-16 code units (JavaScript's `length`). */
export function partitionKeyLength(key: string): number {
  return key.length;
}

/** True when Kinesis accepts `key` as a partition key (1–256 UTF-16 code units). */
export function isValidPartitionKey(key: string): boolean {
  const length = partitionKeyLength(key);
  return length >= 1 && length <= PARTITION_KEY_MAX_LENGTH;
}

/**
 * Why Kinesis would refuse `key` as a partition key, in words that name the fix; `undefined` when it
 * accepts it.
 */
export function partitionKeyProblem(key: string): string | undefined {
  const length = partitionKeyLength(key);
  if (length === 0) return 'the profile id is empty; Kinesis needs a partition key of 1 to 256 characters';
  if (length <= PARTITION_KEY_MAX_LENGTH) return undefined;
  const codePoints = [...key].length;
  const counted =
    codePoints === length
      ? `${length} characters`
      : `${length} UTF-16 code units (${codePoints} characters; each one outside the Basic Multilingual Plane, such as an emoji, counts twice)`;
  return `the profile id is ${counted}; it is the Kinesis partition key, which holds at most ${PARTITION_KEY_MAX_LENGTH}: shorten the profile id (or write a shorter key, e.g. a hash, as profileId)`;
}
