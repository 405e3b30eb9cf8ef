"""Pure publication helpers shared by the service and by anyone recounting: exported files
(``exports``), round-by-round explanations (``explain``), the results document
(``results_document``), the audit hash chain (``audit_chain``) and the recount of a published
election (``verify``). No Flask, no SQLAlchemy: ``votesvc verify`` runs with these and
``votesvc.tally`` only. May import the standard library and the counting core (the command
that runs ``verify`` is :mod:`votesvc.cli.verify`)."""
