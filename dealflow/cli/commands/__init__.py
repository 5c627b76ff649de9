"""The commands of the ``dealflow`` command line, one module per group of commands.

Each module registers its commands on the app when imported; the app loads only the module of
the command it runs.
"""
