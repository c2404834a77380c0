# ---
# description: Count the primes below 300000 by trial division in pure Python (CPU-bound)
# tags: [cpu]
# ---

# %% Define
from math import isqrt


def is_prime(n):
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    return all(n % d for d in range(3, isqrt(n) + 1, 2))

# %% Count expect_result=25997
sum(1 for n in range(300_000) if is_prime(n))
