# Parameters of the {{ pipeline_name }} pipeline; nodes read them as "params:<key>".
#
# {{ pipeline_name }}:
#   threshold: 0.5
