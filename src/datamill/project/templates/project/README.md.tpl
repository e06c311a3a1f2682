# {{ project_name }}

A [datamill](https://github.com/datamill/datamill) project, created from the
`{{ starter }}` starter.

## Run it

```bash
pip install -e ".[dev]"   # the project and what it needs
datamill run              # run every pipeline
```

Run one pipeline, or a slice of one:

```bash
datamill run --pipeline <name>
datamill run --tags <tag>
datamill run --env <env>                 # conf/base, then conf/<env> over it
datamill run --params some.key=value     # override a parameter for this run
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
| `conf/base/` | shared configuration: `catalog*.yml` (datasets), `parameters*.yml` |
| `conf/local/` | your own settings and `credentials.yml`: kept out of git |
| `data/01_raw` … `data/08_reporting` | data by layer: kept out of git |
| `src/{{ package_name }}/pipelines/<name>/` | one pipeline per folder: `nodes.py` holds plain functions, `pipeline.py` wires them |
| `src/{{ package_name }}/settings.py` | project settings (hooks, default executor, ...) |
| `tests/` | tests, run with `pytest` |
| `notebooks/` | exploration |

Add a pipeline with `datamill pipeline create <name>`.

## Test it

```bash
pytest
ruff check . && ruff format --check .
```
