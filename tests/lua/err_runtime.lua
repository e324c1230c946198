local function f(x) return x.field end
local function g() return f(nil) end
print("before")
g()
print("not reached")
