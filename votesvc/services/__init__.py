"""Use cases: each public function is one transaction; domain errors say what was refused."""
