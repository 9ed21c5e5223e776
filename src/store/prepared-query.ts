// Queries built and compiled by Kysely once, then run many times with new parameter values: building and compiling a
// small query costs more CPU than SQLite takes to run it. Dialect-neutral (the dialect's compiler places the parameters);
// the queries themselves belong to the repos.
import type { Compilable, CompiledQuery } from "kysely";

/** Stands for a named parameter while a query is built; the compiled query's parameters hold it where the value goes. */
class Marker {
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
}

/** What a query is built with in place of values: typed `never`, so it fits wherever Kysely expects a value. */
export type Markers<K extends string> = { readonly [N in K]: never };

/** Values for a prepared query's parameters, by name. */
export type QueryValues<K extends string> = { readonly [N in K]: unknown };

/** A compiled query waiting for its parameter values. */
export type PreparedQuery<K extends string, R> = (values: QueryValues<K>) => CompiledQuery<R>;

/**
 * Builds and compiles a query once, with a marker for each name, and returns a function that puts values in their
 * place. Values written in the query itself (not markers) stay as compiled. Contract: throws at once when a name is
 * not used by the query, and when a value is `undefined` (Kysely would have left such a column out of the query).
 */
export function prepareQuery<const K extends string, R>(names: readonly K[], build: (markers: Markers<K>) => Compilable<R>): PreparedQuery<K, R> {
  const markers = Object.fromEntries(names.map((name) => [name, new Marker(name)])) as unknown as Markers<K>;
  const compiled = build(markers).compile();
  const slots = compiled.parameters.map((p) => (p instanceof Marker ? (p.name as K) : undefined));
  const unused = names.filter((name) => !slots.includes(name));
  if (unused.length > 0) throw new Error(`prepareQuery: ${unused.join(", ")} not used by ${compiled.sql}`);
  const constants = compiled.parameters;
  return (values) => {
    const parameters = slots.map((name, i) => {
      if (name === undefined) return constants[i];
      const value = values[name];
      if (value === undefined) throw new Error(`prepareQuery: no value for ${name} in ${compiled.sql}`);
      return value;
    });
    return { query: compiled.query, queryId: compiled.queryId, sql: compiled.sql, parameters };
  };
}

/**
 * Prepared queries by shape, for queries whose text depends on their input: the columns a row or patch writes, the
 * length of a list. `shape` names the query and that input; `prepare` runs on the first use of a shape. Bounded: past
 * `limit` shapes (shapes come from code, so only a bug reaches it), a query is prepared on every use instead.
 */
export type QueryCache = <K extends string, R>(shape: string, prepare: () => PreparedQuery<K, R>) => PreparedQuery<K, R>;

export function createQueryCache(limit = 256): QueryCache {
  const prepared = new Map<string, PreparedQuery<string, unknown>>();
  return <K extends string, R>(shape: string, prepare: () => PreparedQuery<K, R>) => {
    const known = prepared.get(shape) as PreparedQuery<K, R> | undefined;
    if (known) return known;
    const query = prepare();
    if (prepared.size < limit) prepared.set(shape, query as PreparedQuery<string, unknown>);
    return query;
  };
}
