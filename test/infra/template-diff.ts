import { isDeepStrictEqual } from 'node:util';

/** A CloudFormation template as JSON. */
export type TemplateJson = Record<string, unknown>;

/** The asset object keys CDK derives from content hashes: `<64 hex>.zip` (or `.json`). */
const ASSET_KEY = /^[0-9a-f]{64}\.(zip|json)$/;

/**
 * The template with every asset key replaced by `ASSET.<ext>`, so a changed bundle (or a changed
 * source hash while bundling is skipped) does not count as a template change.
 */
export function normalizeTemplate(template: TemplateJson): TemplateJson {
  return JSON.parse(JSON.stringify(template), (_key, value: unknown) =>
    typeof value === 'string' && ASSET_KEY.test(value) ? value.replace(/^[0-9a-f]{64}/, 'ASSET') : value,
  ) as TemplateJson;
}

/** The file text of a fixture: the normalized template, two-space indented, trailing newline. */
export function fixtureText(template: TemplateJson): string {
  return `${JSON.stringify(normalizeTemplate(template), null, 2)}\n`;
}

type Entries = Record<string, Record<string, unknown>>;

/**
 * The differences between a reference template and a synthesized one, one readable line each:
 * resources (and outputs, rules, parameters, conditions) added, removed, or with another type,
 * and every changed value under a resource with its JSON path and both values. Empty when the
 * two templates are the same.
 */
export function diffTemplates(before: TemplateJson, after: TemplateJson): string[] {
  const a = normalizeTemplate(before);
  const b = normalizeTemplate(after);
  const lines: string[] = [];
  const sections = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const section of [...sections].sort()) {
    const left = (a[section] ?? {}) as Entries;
    const right = (b[section] ?? {}) as Entries;
    const ids = new Set([...Object.keys(left), ...Object.keys(right)]);
    for (const id of [...ids].sort()) {
      const was = left[id];
      const is = right[id];
      if (was === undefined) {
        lines.push(`${section}.${id}: added${typeSuffix(is)}`);
      } else if (is === undefined) {
        lines.push(`${section}.${id}: removed${typeSuffix(was)}`);
      } else if (was.Type !== is.Type) {
        lines.push(`${section}.${id}: type ${String(was.Type)} -> ${String(is.Type)}`);
      } else {
        valueDiff(`${section}.${id}`, was, is, lines);
      }
    }
  }
  return lines;
}

function typeSuffix(entry: Record<string, unknown> | undefined): string {
  return typeof entry?.Type === 'string' ? ` (${entry.Type})` : '';
}

const MAX_VALUE_CHARS = 200;

function show(value: unknown): string {
  if (value === undefined) return '(absent)';
  const text = JSON.stringify(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Descends into objects (by key) and equal-length arrays (by index) to name the exact change. */
function valueDiff(path: string, was: unknown, is: unknown, lines: string[]): void {
  if (isDeepStrictEqual(was, is)) return;
  if (isObject(was) && isObject(is)) {
    const keys = new Set([...Object.keys(was), ...Object.keys(is)]);
    for (const key of [...keys].sort()) valueDiff(`${path}.${key}`, was[key], is[key], lines);
    return;
  }
  if (Array.isArray(was) && Array.isArray(is) && was.length === is.length) {
    was.forEach((item, i) => {
      valueDiff(`${path}[${i}]`, item, is[i], lines);
    });
    return;
  }
  lines.push(`${path}: ${show(was)} -> ${show(is)}`);
}
