-- The rush benchmark's wrk script (benchmarks/rush/wrk.py runs it).
--
--   wrk ... -s rotate.lua http://127.0.0.1:PORT -- REQUESTS THREADS STATUS [CODE]
--
-- REQUESTS is a file of one request a line: METHOD<TAB>PATH<TAB>TOKEN<TAB>BODY (TOKEN and
-- BODY may be empty). Each thread builds every request once, then sends them in turn,
-- starting at its own place in the list, so consecutive requests carry different patients
-- (their own JWT and profile). An answer with status STATUS, whose body holds "CODE" when
-- CODE is given, is expected; any other is counted as unexpected, by status. done() prints
-- one line after wrk's own report:
--   rush-wrk: expected=N unexpected=N statuses=409:N,500:N p50_us=N p99_us=N

local threads = {}
local started = 0

function setup(thread)
  started = started + 1
  thread:set("lane", started)
  table.insert(threads, thread)
end

expected = 0
unexpected = 0
statuses = {}

local requests = {}
local index = 0
local want_status = 200
local want_code = nil

function init(args)
  local path, thread_count = args[1], tonumber(args[2])
  want_status = tonumber(args[3])
  if args[4] and args[4] ~= "" then
    want_code = '"' .. args[4] .. '"'
  end
  for line in io.lines(path) do
    local method, target, token, body = line:match("^(%u+)\t([^\t]+)\t([^\t]*)\t(.*)$")
    if method then
      local headers = {}
      if token ~= "" then
        headers["Authorization"] = "Bearer " .. token
      end
      if body == "" then
        body = nil
      else
        headers["Content-Type"] = "application/json"
      end
      requests[#requests + 1] = wrk.format(method, target, headers, body)
    end
  end
  if #requests == 0 then
    error("no request in " .. path)
  end
  index = math.floor((lane - 1) * #requests / thread_count)
end

function request()
  index = index % #requests + 1
  return requests[index]
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if status == want_status and (want_code == nil or (body and body:find(want_code, 1, true))) then
    expected = expected + 1
  else
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  local total_expected, total_unexpected, by_status = 0, 0, {}
  for _, thread in ipairs(threads) do
    total_expected = total_expected + thread:get("expected")
    total_unexpected = total_unexpected + thread:get("unexpected")
    for status, count in pairs(thread:get("statuses")) do
      by_status[status] = (by_status[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(by_status) do
    parts[#parts + 1] = status .. ":" .. count
  end
  table.sort(parts)
  io.write(string.format(
    "rush-wrk: expected=%d unexpected=%d statuses=%s p50_us=%d p99_us=%d\n",
    total_expected, total_unexpected, table.concat(parts, ","),
    latency:percentile(50), latency:percentile(99)
  ))
end
