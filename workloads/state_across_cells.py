# ---
# description: Define state in one cell, change it in the next, read it in a third
# tags: [smoke]
# ---

# %% Define
from collections import Counter

counter = Counter()


def bump(key, by):
    counter[key] += by
    return counter[key]

# %% Mutate expect_stdout="calls: 10"
for step in range(1, 5):
    bump("calls", step)
print(f"calls: {counter['calls']}")

# %% Check expect_result={"calls": 10, "last_step": 4}
{"calls": counter["calls"], "last_step": step}
