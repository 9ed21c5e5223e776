// Look-ups and writes keyed by user input in plain records (config maps, JSON files): own properties only, so
// `__proto__`, `constructor` or `toString` are unknown keys like any other. Maps need none of this.

/** The record's own entry for `key`, never one inherited from Object.prototype. */
export function ownEntry<T>(record: { readonly [key: string]: T } | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Whether `key` is the record's own entry (an agent may well be called `constructor`). */
export function hasOwnEntry(record: object | undefined, key: string): boolean {
  return record !== undefined && Object.hasOwn(record, key);
}

/** Sets `record[key]` as an own data property: `__proto__` becomes a key, not the record's prototype. */
export function setOwnEntry<T>(record: { [key: string]: T }, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}
