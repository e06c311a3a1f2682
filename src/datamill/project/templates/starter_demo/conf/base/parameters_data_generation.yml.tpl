# How much raw data to make up. The same seed always gives the same files.
data_generation:
  seed: 42
  companies: 40
  shuttles: 400
  missing_review_share: 0.05
