-- wrk script of benchmarks/intake_load.py: POSTs valid reports (or the same body to
-- the bare view), each from a client address of its own in X-Forwarded-For (the
-- benchmark runs the app with NUM_PROXIES=1), a share of them from one abuser.
--
--   wrk ... -s intake_load.lua URL -- PAIRS_FILE ABUSER_SHARE [IDS_FILE]
-- PAIRS_FILE has one "service problem" pair a line, from the catalog. The id of
-- every report answered 201 is written to IDS_FILE.<thread>, to check afterwards
-- that each one is stored.

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

local regions = {"US", "GB", "IN", "DE", "FR", "BR", "JP", "NG", "MX", "ID", "PH", "ES"}
local pairs_list = {}
local abuser_share = 0
statuses = {}

function init(args)
  for line in io.lines(args[1]) do
    local service, problem = line:match("^(%S+)%s+(%S+)$")
    if service then table.insert(pairs_list, {service, problem}) end
  end
  abuser_share = tonumber(args[2] or "0")
  if args[3] then ids_file = io.open(args[3] .. "." .. id, "w") end
  math.randomseed(os.time() * 100 + id)
end

function request()
  local pair = pairs_list[math.random(#pairs_list)]
  local body = '{"service":"' .. pair[1] .. '","problem":"' .. pair[2] ..
    '","region":"' .. regions[math.random(#regions)] .. '"}'
  local address
  if math.random() < abuser_share then
    address = "203.0.113.66"
  else
    -- 198.18.0.0/15 is the benchmarking range: a header value here, never a peer.
    address = "198.18." .. math.random(0, 255) .. "." .. math.random(1, 254)
  end
  local headers = {
    ["Content-Type"] = "application/json",
    ["X-Forwarded-For"] = address,
    ["User-Agent"] = "intake-bench/" .. math.random(1, 1000),
  }
  return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 201 and ids_file then
    ids_file:write((body:match('"id":"([%x-]+)"') or "?"), "\n")
  end
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      totals[status] = (totals[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(totals) do table.insert(parts, '"' .. status .. '":' .. n) end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"socket_errors":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.timeout, table.concat(parts, ",")))
end
