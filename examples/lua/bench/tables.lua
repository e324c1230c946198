-- table churn: records created and dropped, hash parts growing and shrinking, sorting
local rounds = tonumber(arg[1]) or 6
local checksum = 0
for r = 1, rounds do
  local index = {}
  local list = {}
  for i = 1, 30000 do
    local rec = { id = i, name = "n" .. (i * 7919 % 30000), tags = { i % 3, i % 5 } }
    list[i] = rec
    index[rec.name] = rec
  end
  for i = 1, 30000, 3 do index["n" .. i] = nil end
  table.sort(list, function(a, b) return a.tags[1] * 7 + a.tags[2] < b.tags[1] * 7 + b.tags[2] or
                                       (a.tags[1] * 7 + a.tags[2] == b.tags[1] * 7 + b.tags[2] and a.id < b.id) end)
  local count = 0
  for _ in pairs(index) do count = count + 1 end
  checksum = checksum + count + list[1].id + list[#list].id
end
print("tables", checksum)
