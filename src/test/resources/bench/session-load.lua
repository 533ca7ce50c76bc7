-- wrk script of the service benchmark (see ServiceBenchmark).
-- wrk -s session-load.lua <url> -- <mode> <threads> <file> [body]
--   plain    GET <url path>, expects 200
--   token    POST <body> as a form to the URL (a direct token call to the fake), expects 200
--   login    POST /session with the JSON <body>, expects 201; writes each session id to <file>-<thread>
--   get      GET /session, round robin over the session ids of <file> (this thread's share), expects 200
--   refresh  POST /session/refresh, same pool, expects 200
--   delete   DELETE /session, each id of this thread's share once, expects 204; the thread stops when they run out
--   soak     a mix: logins, current tokens, refreshes and logouts of its own sessions
-- done() prints one line "BENCH-RESULT {json}" with the counts and latency percentiles (microseconds).

local threads = {}
local counter = 0

function setup(thread)
   thread:set("tid", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

local function read_share(file, nthreads)
   local ids = {}
   local i = 0
   for line in io.lines(file) do
      if line ~= "" then
         if i % nthreads == tid then
            table.insert(ids, line)
         end
         i = i + 1
      end
   end
   return ids
end

local function bearer(id)
   return { ["Authorization"] = "Bearer " .. id }
end

local json = { ["Content-Type"] = "application/json" }
local form = { ["Content-Type"] = "application/x-www-form-urlencoded" }

local mode, expected, requests, index, out
local live, live_count
unexpected = 0
statuses = {}
recorded = 0
exhausted = 0

function init(args)
   mode = args[1]
   local nthreads = tonumber(args[2])
   local file = args[3]
   local body = args[4]
   index = 0
   if mode == "plain" then
      expected = 200
      requests = { wrk.format("GET") }
   elseif mode == "token" then
      expected = 200
      requests = { wrk.format("POST", nil, form, body) }
   elseif mode == "login" then
      expected = 201
      requests = { wrk.format("POST", "/session", json, body) }
      out = io.open(file .. "-" .. tid, "w")
   elseif mode == "get" or mode == "refresh" or mode == "delete" then
      expected = (mode == "delete") and 204 or 200
      local method = (mode == "get") and "GET" or ((mode == "refresh") and "POST" or "DELETE")
      local path = (mode == "refresh") and "/session/refresh" or "/session"
      requests = {}
      for _, id in ipairs(read_share(file, nthreads)) do
         table.insert(requests, wrk.format(method, path, bearer(id)))
      end
   elseif mode == "soak" then
      login_request = wrk.format("POST", "/session", json, body)
      live = {}
      live_first = 1
      live_last = 0
   else
      error("unknown mode " .. tostring(mode))
   end
   if mode ~= "login" and mode ~= "soak" then
      -- wrk skips parsing bodies when response is nil after init()
      response = function(status, headers, body)
         statuses[status] = (statuses[status] or 0) + 1
         if status ~= expected then
            unexpected = unexpected + 1
         end
      end
   end
end

function request()
   if mode == "soak" then
      return soak_request()
   end
   index = index + 1
   if index > #requests then
      if mode == "delete" then
         exhausted = 1
         wrk.thread:stop()
         return requests[#requests]
      end
      index = 1
   end
   return requests[index]
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   if mode == "login" then
      if status ~= 201 then
         unexpected = unexpected + 1
         return
      end
      local id = string.match(body, '"sessionId"%s*:%s*"([^"]+)"')
      if id then
         out:write(id, "\n")
         out:flush()
         recorded = recorded + 1
      else
         unexpected = unexpected + 1
      end
   elseif mode == "soak" then
      if status == 201 then
         local id = string.match(body, '"sessionId"%s*:%s*"([^"]+)"')
         if id then
            live_last = live_last + 1
            live[live_last] = id
         end
      elseif status ~= 200 and status ~= 204 then
         unexpected = unexpected + 1
      end
   end
end

-- Logouts take the oldest sessions, current tokens and refreshes the newest 100, so a session is
-- never in use while it is being logged out.
function soak_request()
   local size = live_last - live_first + 1
   if size < 300 then
      return login_request
   end
   local r = math.random()
   if r < 0.80 then
      local id = live[live_last - math.random(0, 99)]
      return wrk.format("GET", "/session", bearer(id))
   elseif r < 0.85 then
      local id = live[live_last - math.random(0, 99)]
      return wrk.format("POST", "/session/refresh", bearer(id))
   elseif r < 0.925 then
      local id = live[live_first]
      live[live_first] = nil
      live_first = live_first + 1
      return wrk.format("DELETE", "/session", bearer(id))
   end
   return login_request
end

function done(summary, latency, requests)
   local unexpected_total, recorded_total, exhausted_threads = 0, 0, 0
   local by_status = {}
   for _, thread in ipairs(threads) do
      for status, count in pairs(thread:get("statuses") or {}) do
         by_status[status] = (by_status[status] or 0) + count
      end
      unexpected_total = unexpected_total + (thread:get("unexpected") or 0)
      recorded_total = recorded_total + (thread:get("recorded") or 0)
      exhausted_threads = exhausted_threads + (thread:get("exhausted") or 0)
   end
   local parts = {}
   for status, count in pairs(by_status) do
      table.insert(parts, string.format('"%d":%d', status, count))
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH-RESULT {"requests":%d,"durationMicros":%d,"connectErrors":%d,"readErrors":%d,"writeErrors":%d,' ..
      '"statusErrors":%d,"timeouts":%d,"unexpected":%d,"recorded":%d,"exhaustedThreads":%d,' ..
      '"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"statuses":{%s}}\n',
      summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
      unexpected_total, recorded_total, exhausted_threads,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max, table.concat(parts, ",")))
end
