"""Settings of the {{ project_name }} project.

Each UPPER_CASE name sets a setting; uncomment what you need. See datamill's
docs/projects.md for the full list.
"""

# from {{ package_name }}.hooks import MyHooks
#
# HOOKS = [MyHooks()]
# EXECUTOR = "thread"
# WORKERS = 4
