/**
 * Asking before a command changes something that cannot be taken back (moving dead letters,
 * re-exporting delivered members): on a terminal, a question; in a script, `--yes`; without either,
 * a refusal that names `--yes`.
 */
import { createInterface } from 'node:readline/promises';
import { UsageError } from '../core/errors.js';

/** Where a question goes and its answer comes from. */
export interface Prompter {
  /** True when a person can answer (stdin and stderr are terminals). */
  readonly interactive: boolean;
  /** Asks and returns the line typed. */
  ask(question: string): Promise<string>;
}

/** The terminal: the question on stderr (stdout stays the command's output), the answer from stdin. */
export const terminalPrompter: Prompter = {
  get interactive() {
    return process.stdin.isTTY === true && process.stderr.isTTY === true;
  },
  async ask(question: string): Promise<string> {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return await rl.question(question);
    } finally {
      rl.close();
    }
  },
};

/** Options of {@link confirmOrRefuse}. */
export interface ConfirmOptions {
  /** `--yes` was given. */
  readonly yes: boolean;
  readonly prompter: Prompter;
  /** The question, e.g. `move 12 dead letters into … ?`. */
  readonly question: string;
  /** What is not done when refused, e.g. `nothing was moved`. */
  readonly nothingDone: string;
}

/**
 * Goes on when `--yes` was given or a person answers yes; otherwise refuses.
 * @throws UsageError without a terminal and without `--yes` (naming `--yes`), or when the answer is not yes.
 */
export async function confirmOrRefuse(options: ConfirmOptions): Promise<void> {
  if (options.yes) return;
  if (!options.prompter.interactive) {
    throw new UsageError(
      `not confirmed: ${options.question} needs a yes; pass --yes to confirm without a terminal (scripts), or run it in a terminal to be asked. ${options.nothingDone}`,
    );
  }
  const answer = (await options.prompter.ask(`${options.question} [y/N] `)).trim().toLowerCase();
  if (answer !== 'y' && answer !== 'yes') throw new UsageError(`not confirmed; ${options.nothingDone}`);
}
