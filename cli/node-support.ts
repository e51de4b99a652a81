/**
 * The AWS SDK for JavaScript v3 warns, with a seven-line `NodeVersionSupportWarning` on the first
 * client it builds, when Node.js is older than the versions its future releases will require — on
 * every CLI command that calls AWS. It stays silent when `AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED`
 * is `"true"`. The CLI sets that variable and says the same in one line instead, before the
 * command runs; nothing at all when Node.js is new enough or the operator silenced the warning.
 */

/** The environment variable the SDK reads (`@aws-sdk/core`, `emitWarningIfUnsupportedVersion`). */
export const SDK_NODE_WARNING_VARIABLE = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

/**
 * The oldest Node.js major the SDK's releases after the first week of January 2027 run on: the
 * SDK warns below it. A test holds this equal to the installed SDK's threshold.
 */
export const SDK_SUPPORTED_NODE_MAJOR = 22;

/** The major version of a `process.version` string (`v20.20.2` → 20). */
export function nodeMajor(version: string): number {
  return Number.parseInt(version.replace(/^v/, ''), 10);
}

/**
 * Silences the SDK's block (sets the variable in `env`) and returns the one line to print instead;
 * `undefined` when `version` is supported. An operator who set the variable keeps their choice
 * (`"true"`: silence; anything else: the SDK's own block) and gets no extra line.
 */
export function quietSdkNodeWarning(env: NodeJS.ProcessEnv, version: string): string | undefined {
  if (env[SDK_NODE_WARNING_VARIABLE] !== undefined) return undefined;
  env[SDK_NODE_WARNING_VARIABLE] = 'true';
  if (nodeMajor(version) >= SDK_SUPPORTED_NODE_MAJOR) return undefined;
  return `note: Node.js ${version}: AWS SDK releases after January 2027 need Node.js >= ${SDK_SUPPORTED_NODE_MAJOR} (https://a.co/c895JFp)`;
}
