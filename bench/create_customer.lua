-- wrk script for bench/writes.py: POST /v1/customers with a fresh name each time, as BENCH_TOKEN's user.
-- With BENCH_REFUSED set, the body lacks its name: the service refuses it (422) before any database work,
-- which measures what the HTTP stack alone (server, middleware, token, body validation) can answer.
local counter = 0
local token = os.getenv("BENCH_TOKEN")
local refused = os.getenv("BENCH_REFUSED")

request = function()
  counter = counter + 1
  local body = string.format('{"name": "Kunde %d-%d AS", "country": "NO"}', math.random(1, 1000000000), counter)
  if refused then
    body = string.format('{"country": "NO", "remarks": "%d"}', counter)
  end
  return wrk.format("POST", "/v1/customers",
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
end

done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT requests=%d duration_us=%d non2xx=%d errors=%d p50_us=%d p95_us=%d p99_us=%d\n",
    summary.requests, summary.duration, summary.errors.status, errors,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
