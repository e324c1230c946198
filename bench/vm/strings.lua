-- Building and joining 1e6 strings (the same program as strings.hk).
local parts = {}
for i = 0, 999999 do parts[i + 1] = "item" .. tostring(i) end
local s = table.concat(parts, ",")
print(#parts, #s)
