-- The load test's mix of the items API: list a page, read one item, create one (names unique per run).
-- Arguments (after `--`): the run token, the id of an existing item and the bearer token writes need.
local threads = {}

setup = function(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

init = function(args)
  token = args[1]
  item_id = args[2]
  bearer = args[3]
  counter = 0
end

request = function()
  counter = counter + 1
  local kind = counter % 3
  if kind == 0 then
    return wrk.format("GET", "/api/v1/items?limit=20")
  elseif kind == 1 then
    return wrk.format("GET", "/api/v1/items/" .. item_id)
  end
  local body = string.format('{"name": "load-%s-%d-%d", "quantity": %d}', token, tid, counter, counter % 1000)
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. bearer}
  return wrk.format("POST", "/api/v1/items", headers, body)
end
