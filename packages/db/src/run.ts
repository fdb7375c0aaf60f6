import type pg from "pg";
import type { Queryable } from "./pool.ts";
import type { Query } from "./sql/query.ts";

/**
 * The one way a statement reaches PostgreSQL: every repository function runs the `Query` a
 * builder in `sql/` returned through here (named ones are prepared once per connection).
 */
export const run = (db: Queryable, q: Query): Promise<pg.QueryResult> =>
  db.query({ text: q.text, values: q.values as unknown[], ...(q.name ? { name: q.name } : {}) });

/** `run`, for the rows only. */
export const rowsOf = async <T>(db: Queryable, q: Query): Promise<T[]> => (await run(db, q)).rows as T[];
