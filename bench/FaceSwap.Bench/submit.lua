-- POST a small async command (headshot, a prompt, on the sandbox's channel) as multipart/form-data.
local boundary = "faceswap-bench-boundary"
local function part(name, value)
  return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name .. "\"\r\n\r\n" .. value .. "\r\n"
end
wrk.method = "POST"
wrk.path = "/v1/faceswap/headshot"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
wrk.body = part("channel", "100000000000000002") .. part("prompt", "me, an astronaut") .. "--" .. boundary .. "--\r\n"
