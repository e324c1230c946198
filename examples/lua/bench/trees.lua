-- binary trees of depth 16 (the benchmarks game's program): many short-lived tables
local function make(d)
  if d == 0 then return {} end
  d = d - 1
  return { make(d), make(d) }
end
local function check(t)
  if t[1] then return 1 + check(t[1]) + check(t[2]) end
  return 1
end
local max_depth = tonumber(arg[1]) or 16
print("stretch tree check:", check(make(max_depth + 1)))
local long_lived = make(max_depth)
for d = 4, max_depth, 2 do
  local iters, sum = 1 << (max_depth - d + 4), 0
  for _ = 1, iters do sum = sum + check(make(d)) end
  print(iters, "trees of depth", d, "check:", sum)
end
print("long lived tree check:", check(long_lived))
