# Parameters of the hello pipeline.
hello:
  name: world
