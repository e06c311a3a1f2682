# The data catalog of the demo: every dataset a pipeline reads or writes, by name.
# Datasets not listed here (the train/test split) are kept in memory during a run.

# 01_raw: made by the data_generation pipeline, untidy on purpose.
companies:
  type: pandas.CSVDataset
  filepath: data/01_raw/companies.csv

reviews:
  type: pandas.CSVDataset
  filepath: data/01_raw/reviews.csv

shuttles:
  type: pandas.ExcelDataset
  filepath: data/01_raw/shuttles.xlsx

# 02_intermediate: the same tables, with proper types.
clean_companies:
  type: pandas.ParquetDataset
  filepath: data/02_intermediate/clean_companies.parquet

clean_shuttles:
  type: pandas.ParquetDataset
  filepath: data/02_intermediate/clean_shuttles.parquet

# 03_primary: one row per shuttle, with its company and reviews.
shuttle_listings:
  type: pandas.ParquetDataset
  filepath: data/03_primary/shuttle_listings.parquet

# 05_model_input: numeric features and the price to predict.
model_input_table:
  type: pandas.ParquetDataset
  filepath: data/05_model_input/model_input_table.parquet

# 06_models and 08_reporting: one entry per model candidate (namespace), by pattern.
# "random_forest.regressor" is saved to data/06_models/random_forest/regressor.pkl.
"{candidate}.regressor":
  type: pickle.PickleDataset
  filepath: data/06_models/{candidate}/regressor.pkl
  versioned: true

"{candidate}.metrics":
  type: json.JSONDataset
  filepath: data/08_reporting/{candidate}/metrics.json
  versioned: true

model_comparison:
  type: matplotlib.FigureDataset
  filepath: data/08_reporting/model_comparison.png
  versioned: true
