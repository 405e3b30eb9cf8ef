"""``N_``: marks the core's English texts (ballot problems, option problems) as messages.

The core writes plain English and imports nothing of ours; ``pybabel extract`` finds texts
marked ``N_("... %(name)s ...")`` here as everywhere, and the edges (API, pages) show them in
the reader's language (:func:`votesvc.i18n.detail` reads a filled-in text back into its
message and parameters). :mod:`votesvc.i18n` re-exports it for every other layer.
"""


def N_(message: str) -> str:
    """``message`` unchanged; marked for the catalogues."""
    return message
