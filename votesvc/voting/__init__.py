"""Pure voting helpers: signed one-time tokens (``tokens``), short typed codes (``shortcodes``)
and printed token sheets (``sheets``). Keys are passed in; no Flask app, no database. May import
the standard library, itsdangerous, segno, reportlab and the counting core, nothing above."""
