io.write("partial ")
io.stdout:flush()
os.exit(3)
