-- wrk script for bench/http-intake.sh: POST /api/v1/messages with an API key and one recipient
-- per request (a distinct number per request within a thread), counting non-2xx responses.
-- Env: FERRY_API_KEY.
-- done() prints one JSON line: {"kind":"http_intake","requests":..,"requests_per_s":..,
--   "latency_p50_ms":..,"latency_p90_ms":..,"latency_p99_ms":..,"latency_max_ms":..,
--   "non_2xx":..,"socket_errors":..,"first_non_2xx":".."}
local key = os.getenv("FERRY_API_KEY") or error("FERRY_API_KEY is not set")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. key

local threads = {}
function setup(thread)
  thread:set("tid", #threads) -- 0, 1, ...: numbers +852 63xxxxxx, 64xxxxxx, ... (all valid)
  thread:set("non2xx", 0)
  thread:set("first_bad", "")
  table.insert(threads, thread)
end

local counter = 0
function request()
  counter = counter + 1
  local number = string.format("+8526%d%06d", 3 + tid % 7, counter % 1000000)
  local body = '{"to":["' .. number .. '"],"text":"ferry bench ' .. counter ..
    '","route":"hk_business","sender_id":"FerryBench"}'
  return wrk.format(nil, "/api/v1/messages", nil, body)
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_bad == "" then first_bad = status .. " " .. string.sub(body or "", 1, 200) end
  end
end

local function jstr(s)
  return '"' .. string.gsub(s, '[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end) .. '"'
end

function done(summary, latency, requests)
  local bad, first = 0, ""
  for _, t in ipairs(threads) do
    bad = bad + t:get("non2xx")
    if first == "" then first = t:get("first_bad") end
  end
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    '{"kind":"http_intake","requests":%d,"duration_s":%.3f,"requests_per_s":%.1f,' ..
    '"latency_p50_ms":%.3f,"latency_p90_ms":%.3f,"latency_p99_ms":%.3f,"latency_max_ms":%.3f,' ..
    '"non_2xx":%d,"socket_errors":%d,"first_non_2xx":%s}\n',
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, bad, e.connect + e.read + e.write + e.timeout, jstr(first)))
end
