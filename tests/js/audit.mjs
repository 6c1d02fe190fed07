// Runs the GraphQL-over-HTTP audit of graphql-http against a live server.
// Usage: node audit.mjs http://127.0.0.1:PORT/graphql
// Prints one line per audit and a JSON summary on the last line; exits 1 when a MUST audit fails.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql endpoint URL>');
  process.exit(2);
}

const results = await auditServer({ url });
const failures = [];
const warnings = [];
for (const r of results) {
  if (r.status === 'ok') {
    console.log(`ok    ${r.name}`);
    continue;
  }
  const line = `${r.status.padEnd(5)} ${r.name}: ${r.reason}`;
  console.log(line);
  if (r.name.startsWith('MUST')) failures.push(r.name);
  else warnings.push(r.name);
}
console.log(JSON.stringify({ audits: results.length, mustFailures: failures, otherWarnings: warnings }));
process.exit(failures.length ? 1 : 0);
