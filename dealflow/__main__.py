"""``python -m dealflow``: the same as the ``dealflow`` command."""

from dealflow.cli.app import main

main()
