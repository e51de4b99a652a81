/**
 * Reads the project's non-test TypeScript source as code: the string literals each file holds and its
 * text with the comments blanked out, so a repo test can ask where a fact is written without counting
 * the comments and doc lines that only name it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The repository's root folder. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** One source file as code. */
export interface ScannedSource {
  /** The path from the repository root. */
  readonly path: string;
  /**
   * The text of every string literal and template part, in order: `'failure#'` gives `failure#`,
   * `` `delivered#${a}#${b}` `` gives `delivered#`, `#` and the empty tail.
   */
  readonly strings: readonly string[];
  /** The file with every comment replaced by spaces (line breaks kept). */
  readonly code: string;
}

/**
 * The non-test source: the `*.ts` files git tracks or would track (untracked but not ignored) outside
 * `test/`, without declaration files.
 */
export function sourcePaths(): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return [...new Set(listed.split('\n'))]
    .filter((p) => p.length > 0 && !p.startsWith('test/') && !p.endsWith('.d.ts'))
    .sort();
}

/** Parses one file (TypeScript's own parser: no regular expression guesses what a comment is). */
export function scanSource(path: string, text = readFileSync(join(ROOT, path), 'utf8')): ScannedSource {
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const strings: string[] = [];
  const comments = new Map<number, number>();
  const addComments = (ranges: ts.CommentRange[] | undefined) => {
    for (const r of ranges ?? []) comments.set(r.pos, r.end);
  };
  const visit = (node: ts.Node): void => {
    if (
      ts.isStringLiteral(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node)
    ) {
      strings.push(node.text);
    }
    addComments(ts.getLeadingCommentRanges(text, node.getFullStart()));
    addComments(ts.getTrailingCommentRanges(text, node.getEnd()));
    // getChildren includes the tokens, whose leading trivia holds the comments between them.
    for (const child of node.getChildren(file)) visit(child);
  };
  visit(file);
  let code = text;
  for (const [pos, end] of comments) {
    code = code.slice(0, pos) + code.slice(pos, end).replace(/[^\n]/g, ' ') + code.slice(end);
  }
  return { path, strings, code };
}

/** A fact that the source must write in exactly one file, and how to recognize it there. */
export type SingleSourceFact = {
  /** What the fact is, for the failure message. */
  readonly fact: string;
  /** The one file expected to hold it. @default - any one file */
  readonly owner?: string;
} & (
  | {
      /** A string literal that is exactly this (a metric name, an output name). */
      readonly literal: string;
    }
  | {
      /** A string literal or template part that starts with this (a key prefix). */
      readonly prefix: string;
    }
  | {
      /** Code (comments left out) that matches this (a rule, e.g. `receiveCount >= maxReceiveCount`). */
      readonly code: RegExp;
    }
);

/** Whether a scanned file writes the fact. */
export function writesFact(source: ScannedSource, fact: SingleSourceFact): boolean {
  if ('literal' in fact) return source.strings.includes(fact.literal);
  if ('prefix' in fact) return source.strings.some((s) => s.startsWith(fact.prefix));
  // A fresh expression without the global flag: `test` on a global one would carry lastIndex over.
  return new RegExp(fact.code.source, fact.code.flags.replace('g', '')).test(source.code);
}

/** The files that write each fact, by fact. */
export function whereWritten(
  sources: readonly ScannedSource[],
  facts: readonly SingleSourceFact[],
): Map<SingleSourceFact, string[]> {
  return new Map(facts.map((f) => [f, sources.filter((s) => writesFact(s, f)).map((s) => s.path)]));
}
