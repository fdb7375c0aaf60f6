/** A parameterised statement: the only shape SQL takes outside this folder. */
export interface Query {
  readonly text: string;
  readonly values: readonly unknown[];
  /** Named statements are prepared once per connection (hot paths). */
  readonly name?: string;
}
