[build-system]
requires = ["hatchling>=1.21"]
build-backend = "hatchling.build"

[project]
name = "{{ folder_name }}"
version = "0.1.0"
description = "{{ project_name }}: a datamill project"
readme = "README.md"
requires-python = ">=3.11"
dependencies = [
{{ dependencies }}
]

[project.optional-dependencies]
dev = ["pytest>=8.0", "ruff>=0.6"]

[tool.hatch.build.targets.wheel]
packages = ["src/{{ package_name }}"]

[tool.datamill]
package_name = "{{ package_name }}"
project_name = "{{ project_name }}"
source_dir = "src"
conf_source = "conf"

[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["src"]
addopts = ["--import-mode=importlib", "--strict-markers"]

[tool.ruff]
line-length = 100
src = ["src", "tests"]

[tool.ruff.lint]
select = ["E", "F", "W", "I", "B", "UP", "SIM", "RUF"]
