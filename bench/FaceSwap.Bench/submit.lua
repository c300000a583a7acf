-- POST a small blocking command (listid, which the local engine answers without image work) as
-- multipart/form-data, spread over many local channels: a channel runs one blocking command at a time,
-- so consecutive requests go to different channels.
local boundary = "faceswap-bench-boundary"
local channels = tonumber(os.getenv("BENCH_CHANNELS") or "1024")
local n = 0
wrk.method = "POST"
wrk.path = "/v1/faceswap/listid"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary

request = function()
  n = n + 1
  local body = "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"channel\"\r\n\r\nbench-" .. (n % channels) ..
    "\r\n--" .. boundary .. "--\r\n"
  return wrk.format(nil, nil, nil, body)
end
