import { type DestinationConfig, parseConfig } from '../core/config.js';
import { CONFIG_PATH_VARIABLE } from '../core/environment-variables.js';
import { readJsonFile } from './json-file.js';

/** The config file used when neither `--config` nor `KD_CONFIG` names one. */
export const DEFAULT_CONFIG_PATH = 'examples/config.json';

/** The config path a command should read: the flag, else `KD_CONFIG`, else the example config. */
export function configPathFrom(flag: string | undefined): string {
  return flag ?? process.env[CONFIG_PATH_VARIABLE] ?? DEFAULT_CONFIG_PATH;
}

/**
 * Reads and validates a destination config file.
 * @throws UsageError (unreadable, invalid JSON) or ConfigError (each issue prefixed with the file).
 */
export function loadConfigFile(path: string): DestinationConfig {
  return parseConfig(readJsonFile(path, 'config'), path);
}
