# How the model input is split into training and test rows.
model_options:
  test_size: 0.25
  random_state: 7
  features:
    - engines
    - passenger_capacity
    - crew
    - safety_checked
    - company_rating
    - iata_approved
    - review_score
    - number_of_reviews

# One block per model candidate: the data_science pipeline puts each in its own namespace.
linear_regression:
  estimator:
    kind: linear_regression

random_forest:
  estimator:
    kind: random_forest
    n_estimators: 60
    max_depth: 8
    random_state: 7
