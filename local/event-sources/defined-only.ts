/**
 * The properties of `options` whose value is not `undefined`, so that `{ ...defaults,
 * ...definedOnly(options) }` keeps a default the caller left out or passed as `undefined`.
 */
export function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
