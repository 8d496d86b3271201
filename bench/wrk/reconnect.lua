-- The paired runs' requests: the URL's GET, and every Nth request on a wrk thread asks the server to
-- close the connection, so wrk opens a new one (argument after `--`: N, default 50).
--
-- Why: gunicorn's workers share out keep-alive connections when they are opened, by chance and
-- unevenly (in one measured run the 5 workers' CPU was 0, 2.5, 2.5, 2.5 and 5.5 s). Kept for a whole
-- run, that draw moved a run's rate by 15 % and more. Reopened often, connections go to whichever
-- worker is free to accept them, as a load balancer's do, and the draw averages out within a run.
local every
local counter = 0
local keep, close

init = function(args)
  every = tonumber(args[1]) or 50
  keep = wrk.format()
  local headers = {}
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
  headers["Connection"] = "close"
  close = wrk.format(nil, nil, headers)
end

request = function()
  counter = counter + 1
  if counter % every == 0 then
    return close
  end
  return keep
end
