/**
 * vitest's file order, with a first run that knows which files wait longest.
 *
 * vitest starts the files that took longest last time first, so the longest is not the last one to
 * start (the run ends when its longest tail ends). A fresh clone has no such record, and vitest then
 * starts the largest files first: the fault scenarios, short files that wait on visibility timeouts
 * and outages for 15–40 s each, came last, and a fresh clone's `npm test` ended with them (158 s,
 * against 142 s with the record). So a file without a record is ranked by where it lives: the fault
 * scenarios, then the other end-to-end files of `test/e2e/`, then the rest, each group largest first.
 * Files with a record keep vitest's order (failed first, then longest first).
 */
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Without a record of its duration, the earlier a pattern matches a file, the earlier the file starts. */
export const LONG_WAITS_FIRST: readonly RegExp[] = [/^test\/faults\/.+\.e2e\.test\.ts$/, /^test\/e2e\//];

/** The rank of a file with no recorded duration: the index of its first matching pattern, else after them all. */
export function rankWithoutRecord(path: string): number {
  const index = LONG_WAITS_FIRST.findIndex((pattern) => pattern.test(path));
  return index === -1 ? LONG_WAITS_FIRST.length : index;
}

export class LongWaitsFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const path = (file: TestSpecification) => relative(root, file.moduleId).replaceAll('\\', '/');
    const recorded = (file: TestSpecification) =>
      this.ctx.cache.getFileTestResults(`${file.project.name}:${path(file)}`) !== undefined;
    const sorted = await super.sort(files);
    // vitest puts files without a record first; among them, the rank decides (a stable sort keeps
    // vitest's largest-first within a rank).
    const position = new Map(sorted.map((file, i) => [file, i]));
    return [...sorted].sort((a, b) => {
      const ra = recorded(a) ? Number.POSITIVE_INFINITY : rankWithoutRecord(path(a));
      const rb = recorded(b) ? Number.POSITIVE_INFINITY : rankWithoutRecord(path(b));
      if (ra !== rb) return ra - rb;
      return (position.get(a) ?? 0) - (position.get(b) ?? 0);
    });
  }
}
