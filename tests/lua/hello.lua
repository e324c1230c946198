-- the runner's basics: output, the script's arguments (as `...` and in `arg`)
print("hello from", _VERSION)
local args = {...}
print("args:", #args, table.concat(args, ","))
print("arg[0] ends in hello.lua:", arg[0]:sub(-9) == "hello.lua", "arg[1]:", arg[1])
io.write(string.format("%5.2f %d %s\n", math.pi, 42, tostring(nil)))
