"""Read models printed by the command line and served to integrations.

``views``: what ``show``, ``list``, ``history`` and ``next`` print, with their JSON Schemas;
``reports``: the after-sales review and relationship health. Pure functions of domain values:
nothing here writes, and nothing here knows a store or a terminal.
"""
