"""``python -m dealflow``: the same as the ``dealflow`` command."""

from dealflow.cli.main import main

main()
