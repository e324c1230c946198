-- Binary trees of depth 16 (the same program as trees.hk).
local function make(d)
  if d == 0 then return {nil, nil} end
  return {make(d - 1), make(d - 1)}
end
local function check(t)
  if t[1] == nil then return 1 end
  return 1 + check(t[1]) + check(t[2])
end
local function pow2(k)
  local r = 1
  for i = 0, k - 1 do r = r * 2 end
  return r
end
local min_depth = 4
local max_depth = 16
local stretch = max_depth + 1
print("stretch tree of depth", stretch, "check:", check(make(stretch)))
local long_lived = make(max_depth)
for d = min_depth, max_depth, 2 do
  local iters = pow2(max_depth - d + min_depth)
  local sum = 0
  for i = 0, iters - 1 do sum = sum + check(make(d)) end
  print(iters, "trees of depth", d, "check:", sum)
end
print("long lived tree of depth", max_depth, "check:", check(long_lived))
