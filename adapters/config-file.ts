import { type DestinationConfig, parseConfig } from '../core/config.js';
import { CONFIG_PATH_VARIABLE } from '../core/environment-variables.js';
import { readJsonFile } from './json-file.js';

/** The config file used when neither `--config` nor `KD_CONFIG` names one. */
export const DEFAULT_CONFIG_PATH = 'examples/config.json';

/** The config file the operator named: the flag, else `KD_CONFIG`; none when neither is set. */
export function namedConfigPath(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  return flag ?? env[CONFIG_PATH_VARIABLE];
}

/** The config path a command should read: the one named ({@link namedConfigPath}), else the example config. */
export function configPathFrom(flag: string | undefined): string {
  return namedConfigPath(flag) ?? DEFAULT_CONFIG_PATH;
}

/**
 * Reads and validates a destination config file.
 * @throws UsageError (unreadable, invalid JSON) or ConfigError (each issue prefixed with the file).
 */
export function loadConfigFile(path: string): DestinationConfig {
  return parseConfig(readJsonFile(path, 'config'), path);
}
