// node-pg's value serialisation (what it sends for a bind parameter); untyped in @types/pg.
declare module "pg/lib/utils.js" {
  const utils: { prepareValue(value: unknown): unknown };
  export default utils;
}
