# ---
# description: Print one line; the smallest round trip through a sandbox
# tags: [smoke]
# ---

# %% Greet expect_stdout="hello from the sandbox"
print("hello from the sandbox")
