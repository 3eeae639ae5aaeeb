-- wrk script: GET each line of the file named by PATHS in turn (a path
-- with its query string), so that two servers get the same requests.
local paths = {}
for line in io.lines(os.getenv("PATHS") or "paths.txt") do
  paths[#paths + 1] = line
end
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
