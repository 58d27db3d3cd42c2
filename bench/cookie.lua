-- GET /api/v1/clusters/ with an authentication cookie, counting anything but a 200 as an error.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok, other = 0, 0
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local o, x = 0, 0
  for _, thread in ipairs(threads) do
    o = o + thread:get("ok")
    x = x + thread:get("other")
  end
  io.write(string.format("cookie: ok=%d unexpected=%d\n", o, x))
end
