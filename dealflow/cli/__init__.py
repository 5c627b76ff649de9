"""The ``dealflow`` command line: a Typer app that calls bootstrap and the services only."""
