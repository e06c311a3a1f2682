"""{{ project_name }}: a datamill project."""
