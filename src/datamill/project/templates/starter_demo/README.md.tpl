# {{ project_name }}

A [datamill](https://github.com/datamill/datamill) project, created from the `demo`
starter: a made-up market of space shuttles for hire, and two models that predict the price
of a trip. It makes its own data, so it runs anywhere, offline.

## Run it

```bash
pip install -e ".[dev]"   # datamill with pandas and plots, scikit-learn, pytest
datamill run              # data_generation -> data_processing -> data_science
```

Then look at `data/08_reporting/`: each model's `metrics.json` and the
`model_comparison.png` chart, in a folder per run (they are versioned).

| pipeline | what it does | writes |
| --- | --- | --- |
| `data_generation` | invents companies, shuttles and reviews from `params:data_generation.seed` | `data/01_raw` (CSV, Excel) |
| `data_processing` | fixes types (`"$12,400.00"` -> `12400.0`), joins the tables | `data/02_intermediate`, `03_primary`, `05_model_input` (Parquet) |
| `data_science` | splits the rows, trains a linear regression and a random forest (one namespace each), scores them, draws a chart | `data/06_models`, `data/08_reporting` |

Some slices:

```bash
datamill run --pipeline data_processing        # only the cleaning and joining
datamill run --tags training                   # only the split and the training nodes
datamill run --to-outputs random_forest.metrics   # one model candidate
datamill run --params model_options.test_size=0.3
```

From Python:

```python
from datamill import Session

with Session.create(".") as session:
    session.run()
```

## Layout

| path | what goes there |
| --- | --- |
| `conf/base/catalog.yml` | every dataset the pipelines read or write |
| `conf/base/parameters_*.yml` | the parameters of each pipeline |
| `conf/local/` | your own settings and `credentials.yml`: kept out of git |
| `data/01_raw` … `data/08_reporting` | data by layer: kept out of git |
| `src/{{ package_name }}/pipelines/<name>/` | `nodes.py` (plain functions) and `pipeline.py` (how they connect) |
| `tests/` | tests, run with `pytest` |
| `notebooks/` | exploration |

Add a pipeline with `datamill pipeline create <name>`.
