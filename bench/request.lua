-- wrk script of bench/run: sends the JSON bodies of a file (one per line, passed after `--`) in
-- turn as GraphQL POST requests, and counts answers that are not 200 or carry GraphQL errors
-- (wrk itself counts only failed connections and HTTP errors).
local bodies = {}
local counter = 0
local graphql_errors = 0
local threads = {}

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
  for _, t in ipairs(threads) do
    t:set("count", #threads)
  end
end

function init(args)
  -- Each thread takes its own share of the bodies, so that no two threads send the same one
  -- (Q7 updates every organisation once).
  local n = 0
  for line in io.lines(args[1]) do
    if #line > 0 then
      if n % count == index then table.insert(bodies, line) end
      n = n + 1
    end
  end
  if #bodies == 0 then
    for line in io.lines(args[1]) do
      if #line > 0 then table.insert(bodies, line) end
    end
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
end

function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil, bodies[(counter % #bodies) + 1])
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
  local failed = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT requests=%d rps=%.1f p50_ms=%.3f p99_ms=%.3f errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, math.max(failed, errors)))
end
