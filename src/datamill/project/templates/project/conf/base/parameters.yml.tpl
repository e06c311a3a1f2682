# Parameters shared by the pipelines. Nodes read them as "params:<key>".
# Each pipeline keeps its own in parameters_<pipeline>.yml.
