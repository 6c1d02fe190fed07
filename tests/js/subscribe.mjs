// Subscribes with the graphql-ws client (protocol graphql-transport-ws) and prints every message
// of the subscription as one JSON line: {"next": payload}, {"error": ...} or {"complete": true}.
// Usage: node subscribe.mjs WS_URL QUERY VARIABLES_JSON [API_KEY]
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, query, variables, key] = process.argv.slice(2);
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: key ? { Authorization: `Bearer ${key}` } : undefined,
  retryAttempts: 0,
});
client.on('connected', () => console.log(JSON.stringify({ connected: true })));
client.subscribe(
  { query, variables: JSON.parse(variables || '{}') },
  {
    next: (payload) => console.log(JSON.stringify({ next: payload })),
    error: (error) => {
      console.log(JSON.stringify({ error: String(error?.message ?? JSON.stringify(error)) }));
      process.exit(1);
    },
    complete: () => {
      console.log(JSON.stringify({ complete: true }));
      process.exit(0);
    },
  },
);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
