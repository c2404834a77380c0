# ---
# description: A cell raises ZeroDivisionError; the session survives and keeps its state
# tags: [errors]
# ---

# %% Set up
numerator = 10

# %% Raise expect_error="ZeroDivisionError" expect_stdout="about to divide"
print("about to divide")
numerator / 0

# %% Still alive expect_result=20
numerator * 2
