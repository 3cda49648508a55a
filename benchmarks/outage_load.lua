-- wrk script of benchmarks/outage_day.py: the reports of an outage of one owner's
-- services (weights per service), each from a reporter of its own (an address in
-- X-Forwarded-For; the run trusts one proxy hop), regions weighted as a worldwide
-- outage's.
--
--   wrk ... -s outage_load.lua URL -- SERVICES_FILE OUT_PREFIX
-- SERVICES_FILE: "slug weight problem,problem,..." a line. Every 201 is tallied by
-- service and by the second the server stamped on it (its created_at), and its id
-- kept, in OUT_PREFIX.<thread>.tally and OUT_PREFIX.<thread>.ids.

local threads = {}
local services, total = {}, 0
local regions = {"US", "US", "US", "IN", "IN", "BR", "BR", "GB", "DE", "MX", "ID", "PH", "FR", "NG", "TR"}
tally = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    local slug, weight, problems = line:match("^(%S+)%s+(%S+)%s+(%S+)$")
    if slug then
      local list = {}
      for p in problems:gmatch("[^,]+") do table.insert(list, p) end
      total = total + tonumber(weight)
      table.insert(services, {slug, total, list})
    end
  end
  ids = io.open(args[2] .. "." .. id .. ".ids", "w")
  tally_file = args[2] .. "." .. id .. ".tally"
  math.randomseed(os.time() * 100 + id)
end

function request()
  local pick, service = math.random() * total, services[#services]
  for _, s in ipairs(services) do
    if pick <= s[2] then service = s; break end
  end
  local problems = service[3]
  local body = '{"service":"' .. service[1] .. '","problem":"' .. problems[math.random(#problems)] ..
    '","region":"' .. regions[math.random(#regions)] .. '"}'
  local headers = {
    ["Content-Type"] = "application/json",
    -- 198.18.0.0/15 is the benchmarking range: a header value here, never a peer.
    ["X-Forwarded-For"] = "198.18." .. math.random(0, 255) .. "." .. math.random(1, 254),
    ["User-Agent"] = "outage-bench/" .. math.random(1, 100000),
  }
  return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
  if status == 201 then
    local id, service, second = body:match('"id":"([%x-]+)","service":"([%w-]+)".-"created_at":"([%d:T-]+)')
    if id then
      ids:write(id, "\n")
      local key = service .. " " .. second
      tally[key] = (tally[key] or 0) + 1
    end
  else
    local key = "status " .. status
    tally[key] = (tally[key] or 0) + 1
  end
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    local out = io.open(thread:get("tally_file"), "w")
    for key, n in pairs(thread:get("tally")) do out:write(key, " ", n, "\n") end
    out:close()
  end
  io.write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"socket_errors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
