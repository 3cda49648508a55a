-- wrk script of benchmarks/wsgi_servers.py for GETs (the service page): intake_load.lua's
-- tally of answers by status and its JSON line, with a plain GET instead of a report.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "intake_load.lua")

function init(args)
end

function request()
  return wrk.format("GET")
end
