-- strings: building, splitting, formatting, patterns, big buffers
local parts = {}
for i = 1, 20000 do parts[#parts + 1] = string.format("item%05d", i) end
local joined = table.concat(parts, ";")
print("joined length", #joined)
local n, total = 0, 0
for word in joined:gmatch("[^;]+") do n = n + 1; total = total + #word end
print("split", n, total)
local s = ""
for i = 1, 2000 do s = s .. i % 10 end
print("concat", #s, s:sub(1, 20))
local replaced, count = joined:gsub("item(%d+)", "<%1>")
print("gsub", #replaced, count)
local big = string.rep("abc", 1 << 20)       -- 3 MiB: hakmem's large blocks
print("rep", #big, big:sub(-6), select(2, big:gsub("c", "")))
print(("x"):rep(5, "-"), ("Hello"):upper(), ("%q"):format("a\nb"))
