-- the collector in both modes, weak tables, finalizers
collectgarbage("incremental")
local weak = setmetatable({}, { __mode = "v" })
for i = 1, 1000 do weak[i] = {} end
collectgarbage()
local left = 0
for _ in pairs(weak) do left = left + 1 end
print("weak left", left)
local finalized = 0
for _ = 1, 100 do setmetatable({}, { __gc = function() finalized = finalized + 1 end }) end
collectgarbage()
print("finalized", finalized)
collectgarbage("generational")
local keep = {}
for i = 1, 100000 do keep[i % 1000] = { i } end
print("generational", #keep, collectgarbage("count") > 0)
