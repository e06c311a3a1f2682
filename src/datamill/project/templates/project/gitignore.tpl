# Local configuration and secrets stay on your machine: only the folder is shared.
conf/local/**
!conf/local/.gitkeep

# Data stays out of git; the layer folders are kept by their .gitkeep files.
data/**
!data/**/
!data/**/.gitkeep

# datamill's run journal
.datamill/

# Python, notebooks and tools
__pycache__/
*.py[cod]
*.egg-info/
.venv/
build/
dist/
.pytest_cache/
.mypy_cache/
.ruff_cache/
.ipynb_checkpoints/
