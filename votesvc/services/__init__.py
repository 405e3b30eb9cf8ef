"""Use cases: each public function is one transaction; domain errors say what was refused.

May import the models, the schemas, the pure helpers and the counting core; never the API or
the CLI (the edges that call it)."""
