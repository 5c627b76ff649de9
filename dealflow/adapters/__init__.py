"""Concrete adapters behind the ports: event stores (memory, SQLite, PostgreSQL), the clock,
rendering (Jinja2 and WeasyPrint), sealing and seal validation (pyHanko).

Only :mod:`dealflow.bootstrap` names them; each converts its library's exceptions into
dealflow's at its boundary.
"""
