-- wrk script for bench/http-intake.sh: POST /api/submit_broadcast with one recipient per
-- request (a distinct number per request within a thread), counting non-2xx responses.
-- Env: FERRY_COOKIE (ferry_session=...), FERRY_ORIGIN (http://127.0.0.1:PORT, must match Host:
-- the CSRF guard refuses other origins).
-- done() prints one JSON line: {"kind":"http_intake","requests":..,"requests_per_s":..,
--   "latency_p50_ms":..,"latency_p90_ms":..,"latency_p99_ms":..,"latency_max_ms":..,
--   "non_2xx":..,"socket_errors":..,"first_non_2xx":".."}
local cookie = os.getenv("FERRY_COOKIE") or error("FERRY_COOKIE is not set")
local origin = os.getenv("FERRY_ORIGIN") or error("FERRY_ORIGIN is not set")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.headers["Cookie"] = cookie
wrk.headers["Origin"] = origin

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
  local body = '{"route":"HkBusiness","purpose":"Notification","text":"ferry bench ' .. counter ..
    '","recipients":"' .. number .. '","client":{"encoding":"GSM7","parts":1,"unit_price":3200},' ..
    '"sender_id":"FerryBench","schedule_at":""}'
  return wrk.format(nil, "/api/submit_broadcast", nil, body)
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
