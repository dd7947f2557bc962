-- ops/bench-ocsp.lua: wrk's request per call for ops/bench ocsp, a random OCSP request each time.
-- wrk ... -s ops/bench-ocsp.lua URL -- MODE LIST DIR PREFIX
--   LIST: lines "<name> <percent-encoded base64 request>"; DIR: <name>.der, the DER requests.
--   MODE get: GET PREFIX..<encoded request>; post: POST PREFIX with the request as its body;
--   static-get / static-post: the same on PREFIX..<name> (nginx's file of that request's response).
-- wrk's own resolve() tests each address with a connection it closes at once, before any request
-- line: that alone sets `openssl ocsp -port` spinning. The address is known to work: no test.
function wrk.resolve(host, service)
  wrk.addrs = wrk.lookup(host, service)
end
local mode, prefix
local names, encoded, bodies = {}, {}, {}
function init(args)
  mode, prefix = args[1], args[4]
  for line in io.lines(args[2]) do
    local name, enc = line:match("^(%S+) (%S+)$")
    names[#names + 1] = name
    encoded[#encoded + 1] = enc
    if mode == "post" or mode == "static-post" then
      local f = assert(io.open(args[3] .. "/" .. name .. ".der", "rb"))
      bodies[#bodies + 1] = f:read("*a")
      f:close()
    end
  end
  -- Each wrk thread its own sequence of picks.
  math.randomseed(os.time() * 1000 + tonumber(tostring({}):match("0x(%x+)") or "1", 16) % 1000)
end
local post_headers = { ["Content-Type"] = "application/ocsp-request" }
function request()
  local i = math.random(#names)
  if mode == "get" then
    return wrk.format("GET", prefix .. encoded[i])
  elseif mode == "post" then
    return wrk.format("POST", prefix, post_headers, bodies[i])
  elseif mode == "static-get" then
    return wrk.format("GET", prefix .. names[i])
  else
    return wrk.format("POST", prefix .. names[i], post_headers, bodies[i])
  end
end
