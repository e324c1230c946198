-- string building and splitting: concatenation, table.concat, gmatch, gsub, format
local rounds = tonumber(arg[1]) or 40
local total = 0
for r = 1, rounds do
  local parts = {}
  for i = 1, 20000 do parts[i] = string.format("%d:%s", i, ("w"):rep(i % 17)) end
  local line = table.concat(parts, ",")
  local n = 0
  for field in line:gmatch("[^,]+") do
    local k, v = field:match("(%d+):(w*)")
    n = n + #v + (k and 1 or 0)
  end
  local s = ""
  for i = 1, 300 do s = s .. (i * r) % 10 end
  total = total + n + #line:gsub("w+", "W") + #s
end
print("strings", total)
