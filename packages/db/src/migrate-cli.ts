/** `npm run migrate -w @orders/db`: applies migrations to $DATABASE_URL. */
import { migrate } from "./migrate.ts";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("DATABASE_URL is required");
  process.exit(2);
}
const result = await migrate(url);
console.log(JSON.stringify({ msg: "migrations applied", ...result }));
