// PostGraphile 5 over the benchmark's PostgreSQL database: the amber preset, short names, no
// GraphiQL, and a pool as large as the directory server's. DATABASE_URL and PORT come from bench/run.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { PgSimplifyInflectionPreset } from "@graphile/simplify-inflection";
import { makePgService } from "postgraphile/adaptors/pg";

export default {
  extends: [PostGraphileAmberPreset, PgSimplifyInflectionPreset],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL,
      schemas: ["public"],
      poolConfig: { max: Number(process.env.POOL_SIZE ?? 8) },
    }),
  ],
  grafserv: { port: Number(process.env.PORT ?? 5678), graphiql: false, watch: false },
  grafast: { explain: false },
};
