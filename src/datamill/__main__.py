"""``python -m datamill`` runs the command line."""

from datamill.cli import main

main()
