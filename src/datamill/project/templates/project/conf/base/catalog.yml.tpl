# The data catalog: every dataset a pipeline reads or writes, by name.
# A dataset that is not listed here is kept in memory for the run.
#
# companies:
#   type: pandas.CSVDataset
#   filepath: data/01_raw/companies.csv
