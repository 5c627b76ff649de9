"""Concrete adapters behind the ports: event stores (memory, SQLite) and clocks."""
