-- wrk script for scripts/bench.py: each thread walks its share of a list of requests.
--
--   wrk ... -s walk.lua URL -- METHOD FILE WRAP THREADS
--
-- FILE holds one request per line: a path ("/cockpit/v1/regions/fr-par/tokens/<id>"), or a
-- path, a tab and a body (sent with Content-Type: application/x-www-form-urlencoded unless
-- -H says otherwise). Thread k of THREADS takes lines k, k+THREADS, k+2*THREADS, ...
-- (every thread takes every line when there are fewer lines than threads).
-- WRAP=1 starts the list again when a thread reaches its end (reads); WRAP=0 repeats the
-- thread's last request instead (deletes: each id once, then 404s that the driver counts)
-- and counts those extra requests in the global `over`, printed by done().
-- With WALK_CAPTURE=<prefix> in the environment, each thread appends the
-- "<UserName> <AccessKeyId or ->" of every 200 answer to <prefix>.<thread> (moto's
-- CreateUser and CreateAccessKey), so the driver knows exactly which users and keys exist.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local items = {}
local count = 0
local position = 0
local wrap = true
local method = "GET"
over = 0
local capture = nil

function init(args)
  method = args[1]
  local file = args[2]
  wrap = args[3] == "1"
  local stride = tonumber(args[4])
  local line_number = 0
  local lines = 0
  for _ in io.lines(file) do lines = lines + 1 end
  if lines < stride then stride = 1 end  -- fewer lines than threads: every thread takes them all
  for line in io.lines(file) do
    if line_number % stride == tid % stride then
      local path, body = line:match("^([^\t]*)\t(.*)$")
      if path == nil then path = line end
      if body ~= nil and wrk.headers["Content-Type"] == nil then
        wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
      end
      count = count + 1
      items[count] = wrk.format(method, path, nil, body)
    end
    line_number = line_number + 1
  end
  if count == 0 then
    io.stderr:write("walk.lua: thread " .. tid .. " has no request in " .. file .. "\n")
    os.exit(2)
  end
  local prefix = os.getenv("WALK_CAPTURE")
  if prefix ~= nil and prefix ~= "" then
    capture = io.open(prefix .. "." .. tid, "w")
    capture:setvbuf("line")
  end
end

function request()
  position = position + 1
  if position > count then
    if wrap then
      position = 1
    else
      position = count
      over = over + 1
    end
  end
  return items[position]
end

if os.getenv("WALK_CAPTURE") ~= nil and os.getenv("WALK_CAPTURE") ~= "" then
  function response(status, headers, body)
    if status == 200 and capture ~= nil then
      local user = body:match("<UserName>(.-)</UserName>")
      local key = body:match("<AccessKeyId>(.-)</AccessKeyId>")
      if user ~= nil then capture:write(user, " ", key or "-", "\n") end
    end
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + (thread:get("over") or 0) end
  io.write(string.format("walk: over=%d\n", total))
end
