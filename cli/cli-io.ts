import { ConfigError, ProfileValidationError, UsageError } from '../core/errors.js';

/** Exit code and message for an error that reached the top of the CLI. */
export function describeCliError(error: unknown): { exitCode: number; message: string } {
  if (
    error instanceof UsageError ||
    error instanceof ConfigError ||
    error instanceof ProfileValidationError
  ) {
    return { exitCode: 2, message: error.message };
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { exitCode: 1, message };
}
