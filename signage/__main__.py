"""`python -m signage` runs the command line."""

from signage.cli import main

main()
