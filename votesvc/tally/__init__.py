"""The pure counting core of votesvc.

Plain, immutable data in, plain data out, deterministic. This package imports only the
standard library, ``pyrankvote`` and numpy (Equal Shares' float engine, loaded only where Add1
runs): never Flask, SQLAlchemy or anything of ours above it, so that anyone can recount a
published election with this package alone.
"""
