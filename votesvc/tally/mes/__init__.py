"""The Method of Equal Shares: ``equal_shares`` the rule (completion, Add1), ``exact`` one run in
exact arithmetic, ``instance`` the run's input, ``floating`` and ``add1`` the float-guided Add1
search (numpy, loaded only where Add1 runs). Part of the pure core: imports only the standard
library, numpy and ``votesvc.tally``."""
