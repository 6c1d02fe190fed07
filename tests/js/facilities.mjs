// A partner's subgraph, written for the tests with @apollo/subgraph and @apollo/server: a regional
// facilities service that extends the directory's `Cluster` with its sport facilities and
// references the directory's `Region` by NUTS code. Its data comes from the test.
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';

export const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

  "A sport facility run by a partner region."
  type Facility @key(fields: "id") {
    id: ID!
    name: String!
    sport: String!
    cluster: Cluster!
    region: Region!
  }

  "The directory's cluster, extended with the facilities of its partners."
  type Cluster @key(fields: "id") {
    id: ID!
    facilities: [Facility!]!
  }

  "The directory's region, referenced by NUTS code."
  type Region @key(fields: "code", resolvable: false) {
    code: String!
  }

  type Query {
    facilities: [Facility!]!
  }
`);

// facilities: [{ id, name, sport, clusterId, regionCode }]
export async function startFacilities(facilities) {
  const resolvers = {
    Query: { facilities: () => facilities },
    Facility: {
      __resolveReference: (ref) => facilities.find((f) => f.id === ref.id),
      cluster: (f) => ({ __typename: 'Cluster', id: f.clusterId }),
      region: (f) => ({ __typename: 'Region', code: f.regionCode }),
    },
    Cluster: {
      facilities: (c) => facilities.filter((f) => f.clusterId === c.id),
    },
  };
  const server = new ApolloServer({
    schema: buildSubgraphSchema([{ typeDefs, resolvers }]),
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  const { url } = await startStandaloneServer(server, { listen: { host: '127.0.0.1', port: 0 } });
  return { url, typeDefs };
}
