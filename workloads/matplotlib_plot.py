# ---
# description: Draw a line plot with matplotlib; the open figure comes back as an image
# requires: [matplotlib]
# tags: [plot]
# ---

# %% Plot expect_image=true
# No plt.show() and no backend choice: the sandbox's kernel picks its own (inline in Jupyter,
# Agg elsewhere) and returns the figures still open at the end of the cell.
import matplotlib.pyplot as plt

xs = [x / 10 for x in range(100)]
fig, ax = plt.subplots(figsize=(4, 3), dpi=80)
ax.plot(xs, [x * x for x in xs], label="x squared")
ax.set_xlabel("x")
ax.legend()
_ = ax.set_title("sandbench")
