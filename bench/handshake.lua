-- The client's 401 -> Basic -> cookie handshake (protocol.md 1.2), as wrk requests:
-- odd requests carry no credentials (the gateway answers 401 with its challenge),
-- even ones carry Basic credentials (the gateway authenticates and issues a cookie).
local counter = 0
local basic = "Basic " .. (os.getenv("BENCH_BASIC") or "YWxpY2U6")
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  challenged, authenticated, other = 0, 0, 0
end

function request()
  counter = counter + 1
  if counter % 2 == 1 then
    return wrk.format("GET", "/api/v1/clusters/")
  end
  return wrk.format("GET", "/api/v1/clusters/", { ["Authorization"] = basic })
end

function response(status, headers, body)
  if status == 401 then
    challenged = challenged + 1
  elseif status == 200 and headers["Set-Cookie"] ~= nil then
    authenticated = authenticated + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local c, a, o = 0, 0, 0
  for _, thread in ipairs(threads) do
    c = c + thread:get("challenged")
    a = a + thread:get("authenticated")
    o = o + thread:get("other")
  end
  io.write(string.format("handshake: challenged=%d authenticated=%d unexpected=%d\n", c, a, o))
end
