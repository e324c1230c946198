-- binary trees: many short-lived tables (the benchmarks game's program)
local function bottom_up(depth)
  if depth == 0 then return {} end
  depth = depth - 1
  return { bottom_up(depth), bottom_up(depth) }
end
local function check(tree)
  if tree[1] then return 1 + check(tree[1]) + check(tree[2]) end
  return 1
end
local max_depth = tonumber(arg and arg[1]) or 12
local stretch = max_depth + 1
print("stretch tree of depth " .. stretch .. "\t check: " .. check(bottom_up(stretch)))
local long_lived = bottom_up(max_depth)
for depth = 4, max_depth, 2 do
  local iters = 2 ^ (max_depth - depth + 4)
  local sum = 0
  for _ = 1, iters do sum = sum + check(bottom_up(depth)) end
  print(string.format("%d\t trees of depth %d\t check: %d", iters, depth, sum))
end
print("long lived tree of depth " .. max_depth .. "\t check: " .. check(long_lived))
