# ---
# description: Load an uploaded CSV with pandas and aggregate it with group-by
# requires: [pandas]
# files: [sales.csv]
# tags: [data, files]
# ---

# %% Load expect_stdout="rows: 24"
import pandas as pd

sales = pd.read_csv("sales.csv", parse_dates=["date"])
print(f"rows: {len(sales)}")

# %% Revenue by region expect_result={"east": 388, "north": 350, "south": 395, "west": 290}
sales["revenue"] = sales["units"] * sales["unit_price"]
by_region = sales.groupby("region")["revenue"].sum()
# int() turns numpy integers into plain ints, which every backend serialises as JSON.
{region: int(total) for region, total in by_region.items()}

# %% Units by product expect_result={"gadget": 93, "widget": 100}
{product: int(units) for product, units in sales.groupby("product")["units"].sum().items()}
