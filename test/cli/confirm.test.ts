import { describe, expect, it } from 'vitest';
import { confirmOrRefuse, type Prompter } from '../../cli/confirm.js';
import { UsageError } from '../../core/errors.js';

const answering = (answer: string, asked: string[] = []): Prompter => ({
  interactive: true,
  ask: async (question) => {
    asked.push(question);
    return answer;
  },
});
const noTerminal: Prompter = { interactive: false, ask: () => Promise.reject(new Error('no terminal')) };
const options = { question: 'move 3 dead letter(s)?', nothingDone: 'Nothing was moved.' };

describe('confirmOrRefuse()', () => {
  it('goes on with --yes without asking', async () => {
    await expect(confirmOrRefuse({ ...options, yes: true, prompter: noTerminal })).resolves.toBeUndefined();
  });

  it('refuses without a terminal and without --yes, naming --yes', async () => {
    const attempt = confirmOrRefuse({ ...options, yes: false, prompter: noTerminal });

    await expect(attempt).rejects.toThrow(UsageError);
    await expect(attempt).rejects.toThrow(
      'not confirmed: move 3 dead letter(s)? needs a yes; pass --yes to confirm without a terminal (scripts), or run it in a terminal to be asked. Nothing was moved.',
    );
  });

  it('asks on a terminal and goes on for y or yes', async () => {
    const asked: string[] = [];

    await confirmOrRefuse({ ...options, yes: false, prompter: answering(' YES\n', asked) });
    await confirmOrRefuse({ ...options, yes: false, prompter: answering('y') });

    expect(asked).toEqual(['move 3 dead letter(s)? [y/N] ']);
  });

  it('refuses any other answer', async () => {
    await expect(confirmOrRefuse({ ...options, yes: false, prompter: answering('') })).rejects.toThrow(
      'not confirmed; Nothing was moved.',
    );
    await expect(confirmOrRefuse({ ...options, yes: false, prompter: answering('no') })).rejects.toThrow(
      UsageError,
    );
  });
});
