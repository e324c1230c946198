-- 1e6 map inserts and 1e6 lookups with scattered int keys (the same program
-- as maps.hk; the keys are distinct, so the count printed is n).
local m = {}
local n = 1000000
for i = 0, n - 1 do m[i * 2654435761 % 4294967291] = i end
local s = 0
for i = 0, n - 1 do s = s + m[i * 2654435761 % 4294967291] end
print(n, s)
