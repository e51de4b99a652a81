import { describe, expect, it } from 'vitest';
import { compareSequence } from '../../local/event-sources/sequence.js';
import { groupOrderOf } from '../../local/event-sources/sqs-messages.js';

/** local-aws-sqs's n-th sequence number of a group (its `padStart` slip included). */
const emulatorSequence = (seed: string, n: number) =>
  String(n)
    .padStart(21 - String(n).length, seed)
    .slice(0, 20);

describe('groupOrderOf()', () => {
  it("orders a group's 10th and 100th messages after its 9th and 99th, as the emulator meant them", () => {
    const seed = '73829104657382910465';
    const numbers = [1, 2, 9, 10, 11, 99, 100, 101].map((n) => emulatorSequence(seed, n));
    const shuffled = [5, 3, 0, 7, 2, 6, 1, 4].map((i) => numbers[i] as string);

    const ordered = shuffled.sort((a, b) => compareSequence(groupOrderOf(a), groupOrderOf(b)));

    expect(ordered).toEqual(numbers);
    // Compared as they come, the 10th would sort before the 1st.
    expect(compareSequence(numbers[3] as string, numbers[0] as string)).toBeLessThan(0);
  });

  it('leaves a number that is not the emulator’s as it is', () => {
    expect(groupOrderOf('18446744073709551616000001')).toBe('18446744073709551616000001');
  });
});
