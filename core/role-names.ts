/**
 * The names of a pipeline's IAM roles that assume a destination's cross-account role — the export
 * role and the deploy-time connection check's — fixed, so that a customer's trust policy can name
 * them exactly, before the first deploy (`policy --trust-policy`, docs/DEPLOY.md) and after a role
 * is replaced. The CDK construct and the CLI both build them here.
 *
 * `<prefix>-<role>-<region>`: IAM role names are global to an account, so the region keeps two
 * deployments of one stack name in two regions apart. For the default app the prefix is the stack
 * name; a construct elsewhere adds its id and a hash of its path (lib/physical-names.ts).
 */

/** The roles that assume a destination's role, and the word that names each. */
export const ASSUMING_ROLES = {
  /** The export function's role: writes the records. */
  export: 'export',
  /** The connection check's role: checks the stream at deploy time. */
  connectionCheck: 'check',
} as const;

export type AssumingRole = keyof typeof ASSUMING_ROLES;

/** IAM's limit on a role name. */
const MAX_ROLE_NAME = 64;
/** Room kept for the region whatever it is (the longest names are 14 characters today). */
const REGION_ROOM = 20;
const LONGEST_WORD = Math.max(...Object.values(ASSUMING_ROLES).map((w) => w.length));

/** The characters of a role name's prefix: the rest of the name fits IAM's 64 in every region. */
export const ROLE_NAME_PREFIX_LENGTH = MAX_ROLE_NAME - REGION_ROOM - LONGEST_WORD - 2;

/** The name of one of the pipeline's assuming roles (the prefix cut to {@link ROLE_NAME_PREFIX_LENGTH}). */
export function pipelineRoleName(prefix: string, role: AssumingRole, region: string): string {
  return `${prefix.slice(0, ROLE_NAME_PREFIX_LENGTH)}-${ASSUMING_ROLES[role]}-${region}`;
}

/** Both assuming roles' names, in the order the trust policy lists them. */
export function assumingRoleNames(prefix: string, region: string): string[] {
  return (Object.keys(ASSUMING_ROLES) as AssumingRole[]).map((role) =>
    pipelineRoleName(prefix, role, region),
  );
}
