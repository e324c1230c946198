-- closures and coroutines: upvalues captured per call, generators, callbacks
local rounds = tonumber(arg[1]) or 3000
local total = 0
for _ = 1, rounds do
  local fns = {}
  for i = 1, 2000 do
    local acc = i
    fns[i] = function(x) acc = acc + x; return acc end
  end
  for i = 1, 2000 do total = total + fns[i](i) end
  local gen = coroutine.wrap(function() for k = 1, 500 do coroutine.yield(function() return k end) end end)
  for _ = 1, 500 do total = total + gen()() end
end
print("closures", total)
