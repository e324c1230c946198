-- closures, upvalues, coroutines (Lua threads), userdata (files), pack
local function counter()
  local n = 0
  return function() n = n + 1; return n end
end
local sum = 0
for _ = 1, 10000 do
  local c = counter()
  c(); c()
  sum = sum + c()
end
print("closures", sum)
local gens = {}
for i = 1, 200 do
  gens[i] = coroutine.wrap(function() for k = 1, 3 do coroutine.yield(i * k) end end)
end
local total = 0
for _, g in ipairs(gens) do total = total + g() + g() + g() end
print("coroutines", total)
local f = io.tmpfile()
f:write(string.pack("<i4i4", 7, 9))
f:seek("set")
print("userdata", io.type(f), string.unpack("<i4i4", f:read("a")))
f:close()
print("closed", io.type(f))
