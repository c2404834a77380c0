# ---
# description: Return trailing-expression values (an int, a float, a dict) as results
# tags: [smoke]
# ---

# %% Integer expect_result=2
1 + 1

# %% Float expect_result=0.75
3 / 4

# %% Dict expect_result={"sum": 10, "product": 24, "squares": [1, 4, 9, 16]}
values = [1, 2, 3, 4]
product = 1
for value in values:
    product *= value
{"sum": sum(values), "product": product, "squares": [value * value for value in values]}
