-- A mixed read workload for wrk: GraphQL queries sent in turn, answers with GraphQL errors
-- counted as errors (wrk itself only counts HTTP errors and failed connections).
local queries = {
  '{"query":"{ clusters(first: 20) { nodes { name slug } } }"}',
  '{"query":"{ clusters(first: 20) { nodes { name region { code } themes { nodes { slug } } memberships(first: 10) { nodes { organisation { name type countryCode } } } } } }"}',
  '{"query":"{ organisation(slug: \\"gen42-org-17\\") { name memberships { nodes { cluster { name } } } } }"}',
  '{"query":"{ events(first: 20, filter: { themes: [\\"health\\"], country: \\"NL\\" }) { nodes { title startsAt localStartsAt } } }"}',
  '{"query":"{ statistics(subject: ORGANISATIONS, groupBy: [TYPE, COUNTRY]) { groups { key count } } }"}',
}
local counter = 0
local graphql_errors = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil, queries[(counter % #queries) + 1])
end

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    graphql_errors = graphql_errors + 1
  end
end

function done(summary, latency, requests)
  local errors = 0
  for _, t in ipairs(threads) do
    errors = errors + (t:get("graphql_errors") or 0)
  end
  io.write(string.format("RESULT requests=%d duration_s=%.1f rps=%.0f p50_ms=%.2f p99_ms=%.2f http_errors=%d graphql_errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    errors))
end
