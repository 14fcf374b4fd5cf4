-- wrk script of scripts/demo-server: POST one REST Proxy v2 JSON record per request to the path given on the
-- command line, and print a machine-readable summary line at the end.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/vnd.kafka.json.v2+json"
wrk.body = '{"records":[{"key":"user-42","value":{"event":"click","page":"/home","ms":1700000000000}}]}'

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d non2xx=%d socket_errors=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
