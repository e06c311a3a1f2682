# Secrets, referenced by name from the catalog (credentials: <name>).
# This folder is kept out of git: never commit credentials.
#
# raw_bucket:
#   key: ${env:AWS_ACCESS_KEY_ID}
#   secret: ${env:AWS_SECRET_ACCESS_KEY}
