import type { z } from 'zod';

/** Formats a zod issue path the way the README and error messages write it: `destinations[0].attributes[2]`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out.length === 0 ? String(part) : `.${String(part)}`;
  }
  return out.length === 0 ? '(root)' : out;
}

/** One `path: message` line per zod issue. */
export function formatZodIssues(error: z.ZodError, prefix?: string): string[] {
  return error.issues.map((issue) => {
    const path = formatIssuePath(prefix === undefined ? issue.path : [prefix, ...issue.path]);
    return `${path}: ${issue.message}`;
  });
}

/** The path of each zod issue, formatted as {@link formatIssuePath} does. */
export function formatIssuePaths(error: z.ZodError, prefix?: string): string[] {
  return error.issues.map((issue) =>
    formatIssuePath(prefix === undefined ? issue.path : [prefix, ...issue.path]),
  );
}
