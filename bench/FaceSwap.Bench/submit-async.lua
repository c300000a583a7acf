-- POST a small async command (headshot, JSON) to the sandbox's Discord channel with "Prefer: respond-async"
-- (RFC 7240): the server answers 202 once the job is committed, so this measures durable submits alone.
wrk.method = "POST"
wrk.path = "/v1/faceswap/headshot"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Prefer"] = "respond-async"
wrk.body = '{"channel":"100000000000000002","prompt":"me, an astronaut"}'
