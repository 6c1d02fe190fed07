// Composes the directory subgraph with the partner's facilities subgraph using
// @apollo/composition, and serves the supergraph through @apollo/gateway.
//
// Usage: node gateway.mjs '<config JSON>' where the config is
//   { "directory": ["http://replica-1/graphql", ...], "facilities": [...] }
// Requests to the directory go round-robin over its replicas, with the client's Authorization
// header forwarded. Prints one JSON line {"gateway": URL} when ready; runs until stdin closes.
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { startFacilities } from './facilities.mjs';

const config = JSON.parse(process.argv[2]);
const replicas = config.directory;

const sdlResponse = await fetch(replicas[0], {
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
  body: JSON.stringify({ query: '{ _service { sdl } }' }),
});
const directorySdl = (await sdlResponse.json()).data._service.sdl;
const facilities = await startFacilities(config.facilities);

const composed = composeServices([
  { name: 'directory', typeDefs: parse(directorySdl), url: replicas[0] },
  { name: 'facilities', typeDefs: facilities.typeDefs, url: facilities.url },
]);
if (composed.errors) {
  console.error(composed.errors.map((e) => e.message).join('\n'));
  process.exit(1);
}

let next = 0;
const seen = {};
class Replicas extends RemoteGraphQLDataSource {
  willSendRequest({ request, context }) {
    if (this.name === 'directory') {
      request.http.url = replicas[next++ % replicas.length];
      seen[request.http.url] = (seen[request.http.url] ?? 0) + 1;
    }
    if (context?.authorization) request.http.headers.set('authorization', context.authorization);
  }
}

const gateway = new ApolloGateway({
  supergraphSdl: composed.supergraphSdl,
  buildService: ({ name, url }) => Object.assign(new Replicas({ url }), { name }),
});
const server = new ApolloServer({ gateway });
const { url } = await startStandaloneServer(server, {
  listen: { host: '127.0.0.1', port: 0 },
  context: async ({ req }) => ({ authorization: req.headers.authorization }),
});
console.log(JSON.stringify({ gateway: url }));

process.stdin.on('data', () => console.log(JSON.stringify({ replicasUsed: seen })));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
