-- wrk script: POST each line of the file named by BODIES in turn to
-- POST_PATH as application/geo+json (e.g. polygons to /count).
local bodies = {}
for line in io.lines(os.getenv("BODIES") or "bodies.txt") do
  bodies[#bodies + 1] = line
end
local path = os.getenv("POST_PATH") or "/count"
local headers = { ["Content-Type"] = "application/geo+json" }
local i = 0
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", path, headers, bodies[i])
end
