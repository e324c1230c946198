local t = {}
for i = 1, 10 do t[i] = string.rep("x", 1000) end
error("failed after allocating", 2)
