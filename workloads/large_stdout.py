# ---
# description: Print about 1 MB of stdout in 16384 lines; the last line must arrive intact
# tags: [io]
# ---

# %% Print expect_stdout="line 16383 xxxxxxxxxx"
# 16384 lines of 65 bytes: 1,064,960 bytes. A backend that caps or drops output loses the end.
for i in range(16384):
    print(f"line {i:05d} {'x' * 53}")
