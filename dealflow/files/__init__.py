"""The files a user hands dealflow: deal files, the seller policy, the clause library.

``dealfile`` reads YAML or JSON deal files into a validated spec, ``policy`` the seller policy,
``clauses`` the clause library, and ``local`` opens and writes local paths safely (regular
files only, bounded sizes, never through a symlink or over a special file).
"""
