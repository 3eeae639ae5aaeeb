-- wrk script: GET PATH?bbox=<box>&limit=100 cycling through the boxes in
-- the file named by the BOXES environment variable; PATH from ITEMS_PATH.
local boxes = {}
local path = os.getenv("ITEMS_PATH") or "/collections/stop_signs/items"
local limit = os.getenv("LIMIT") or "100"
for line in io.lines(os.getenv("BOXES") or "boxes.txt") do
  boxes[#boxes + 1] = line
end
local i = 0
request = function()
  i = i % #boxes + 1
  return wrk.format("GET", path .. "?bbox=" .. boxes[i] .. "&limit=" .. limit)
end
