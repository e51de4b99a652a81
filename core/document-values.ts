/**
 * What DynamoDB can store of a profile document's values, checked before anything is written or
 * evaluated: nesting within DynamoDB's 32 levels, numbers DynamoDB holds exactly (38 significant
 * digits, 1E-130 … 9.99…E+125), attribute field names. Work and recursion stop at the first level
 * too deep, so a document nested thousands of levels is an issue with a path, never a `RangeError`.
 */
import { MAX_NESTING_LEVELS } from './attribute-value.js';
import { dynamoNumberProblem, ExactNumber } from './exact-number.js';
import { BOOKKEEPING_FIELD, FIELD_NAME_PATTERN, isPlainObject, NON_ATTRIBUTE_FIELDS } from './field-path.js';

/** One problem of a value, at a path from the document's root. */
export interface ValueIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** Options of {@link documentValueIssues}. */
export interface DocumentValueChecks {
  /** Check that DynamoDB stores every number exactly. @default true */
  readonly numbers?: boolean;
  /** Check attribute field names (letters, digits, `_`, `-`). @default true */
  readonly attributeNames?: boolean;
}

const MAX_ISSUES = 20;

class Walk {
  readonly issues: ValueIssue[] = [];
  constructor(readonly checks: Required<DocumentValueChecks>) {}

  add(path: (string | number)[], message: string): void {
    if (this.issues.length < MAX_ISSUES) this.issues.push({ path, message });
  }

  /** `value` at `path`; `level` is its DynamoDB nesting level (a top-level attribute's value: 2). */
  visit(value: unknown, path: (string | number)[], level: number, names: boolean): void {
    if (this.issues.length >= MAX_ISSUES) return;
    if (typeof value === 'number' || value instanceof ExactNumber) {
      const problem = this.checks.numbers ? dynamoNumberProblem(value) : undefined;
      if (problem !== undefined) this.add(path, `the number ${String(value)} ${problem}`);
      return;
    }
    const isArray = Array.isArray(value);
    if (!isArray && !isPlainObject(value)) return;
    if (level > MAX_NESTING_LEVELS) {
      this.add(
        path,
        `is nested deeper than DynamoDB's ${MAX_NESTING_LEVELS} levels (the item is the first level): flatten it`,
      );
      return;
    }
    if (isArray) {
      (value as unknown[]).forEach((item, i) => {
        this.visit(item, [...path, i], level + 1, names);
      });
      return;
    }
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      if (names && this.checks.attributeNames && !FIELD_NAME_PATTERN.test(key)) {
        this.add(
          [...path, key],
          `"${key}" is not a valid field name: use letters, digits, "_" and "-" (no dots)`,
        );
      }
      this.visit(child, [...path, key], level + 1, names);
    }
  }
}

/**
 * The problems of a profile document's (or stored image's) values, at most 20. Attribute names are
 * checked on attributes only (`identityMap` namespaces and segment ids have their own schema; the
 * writer's bookkeeping is skipped).
 */
export function documentValueIssues(
  document: Readonly<Record<string, unknown>>,
  checks: DocumentValueChecks = {},
): ValueIssue[] {
  const walk = new Walk({ numbers: checks.numbers ?? true, attributeNames: checks.attributeNames ?? true });
  for (const [key, value] of Object.entries(document)) {
    if (key === BOOKKEEPING_FIELD) continue;
    const attribute = !NON_ATTRIBUTE_FIELDS.has(key);
    if (attribute && walk.checks.attributeNames && !FIELD_NAME_PATTERN.test(key))
      walk.add([key], `"${key}" is not a valid field name: use letters, digits, "_" and "-" (no dots)`);
    walk.visit(value, [key], 2, attribute);
  }
  return walk.issues;
}
