-- table churn: inserts, removes, rehashes, sorting; deterministic output
local t = {}
for i = 1, 100000 do t[i] = i * 2 end
for i = 1, 50000 do table.remove(t) end
print("array", #t, t[#t])
local h = {}
for i = 1, 50000 do h["k" .. i] = i end
for i = 1, 50000, 2 do h["k" .. i] = nil end
local keys = {}
for k in pairs(h) do keys[#keys + 1] = k end
table.sort(keys)
print("hash", #keys, keys[1], keys[#keys])
local rows = {}
for i = 1, 20000 do rows[i] = { id = i, name = "n" .. (i * 7919 % 20000), score = (i * 31) % 997 } end
table.sort(rows, function(a, b) if a.score ~= b.score then return a.score > b.score end return a.id < b.id end)
print("sorted", rows[1].id, rows[1].score, rows[#rows].id, rows[#rows].score)
local m = setmetatable({}, { __index = function(_, k) return k * k end })
print("meta", m[12], rawget(m, 12))
