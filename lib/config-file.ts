import { readFileSync } from 'node:fs';
import { type DestinationConfig, parseConfig } from '../lambdas/core/config.js';

/** Default config file of the CDK app, relative to the project root. */
export const DEFAULT_CONFIG_FILE = 'examples/config.json';

/**
 * Reads and validates a destination config file.
 * @throws Error when the file cannot be read or is not JSON; ConfigError (from `parseConfig`) when it is invalid.
 */
export function loadConfigFile(path: string): DestinationConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read config file ${path}: ${(error as Error).message}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseConfig(json, path);
}
