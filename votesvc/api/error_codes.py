"""Every stable error code the API and the CLI answer with, marked for the catalogues.

A code is the ``code`` of the error envelope, which clients branch on, and it is also the
message id of its human message in ``votesvc/translations/*/LC_MESSAGES/messages.po`` (see
:mod:`votesvc.i18n`). Listing the codes here is what lets ``pybabel extract`` find them (most
are raised as ``Conflict("token_already_used")`` deep in the services); a test checks that every
code raised anywhere in ``votesvc/`` is listed, and that both catalogues translate every one.
"""

from __future__ import annotations

from votesvc.i18n import N_

CODES: tuple[str, ...] = (
    N_("bad_request"),
    N_("malformed_json"),
    N_("unauthorized"),
    N_("invalid_api_key"),
    N_("admin_session_expired"),
    N_("forbidden"),
    N_("not_found"),
    N_("method_not_allowed"),
    N_("conflict"),
    N_("duplicate"),
    N_("illegal_phase_transition"),
    N_("publish_required"),
    N_("election_not_ready"),
    N_("election_frozen"),
    N_("payload_too_large"),
    N_("unsupported_media_type"),
    N_("validation_failed"),
    N_("invalid_pb_file"),
    N_("invalid_agenda_csv"),
    N_("rate_limited"),
    N_("token_malformed"),
    N_("token_bad_signature"),
    N_("token_wrong_channel"),
    N_("token_wrong_election"),
    N_("token_unknown"),
    N_("token_already_used"),
    N_("token_void"),
    N_("token_contest_not_allowed"),
    N_("token_test_mismatch"),
    N_("token_not_voidable"),
    N_("token_already_issued"),
    N_("short_code_malformed"),
    N_("short_code_typo"),
    N_("ballot_invalid"),
    N_("election_not_open"),
    N_("cast_before_open"),
    N_("cast_after_close"),
    N_("cast_in_future"),
    N_("synced_too_late"),
    N_("receipt_malformed"),
    N_("receipt_unknown"),
    N_("receipt_reused"),
    N_("batch_sealed"),
    N_("booth_contests_differ"),
    N_("batch_too_large_to_print"),
    N_("public_url_unset"),
    N_("cookies_required"),
    N_("kiosk_unauthorized"),
    N_("invalid_kiosk_credential"),
    N_("kiosk_wrong_booth"),
    N_("kiosk_export_invalid"),
    N_("not_eligible"),
    N_("voter_roll_invalid"),
    N_("mail_not_configured"),
    N_("results_not_published"),
    N_("published_file_unknown"),
    N_("election_not_closed"),
    N_("count_in_progress"),
    N_("count_too_early"),
    N_("not_counted"),
    N_("count_stale"),
    N_("gone"),
    N_("service_unavailable"),
    N_("not_ready"),
    N_("internal_error"),
    # the app's, for a request it stopped waiting for (the kit's nginx answers none: it
    # closes a connection whose request is late, tests/deploy/test_slow_clients.py)
    N_("request_timeout"),
    # answered by the kit's nginx on its own (deploy/nginx/votesvc/errors/), and by the app
    # for the first two when it meets them itself
    N_("uri_too_long"),
    N_("headers_too_large"),
    N_("upstream_unavailable"),
    N_("upstream_timeout"),
)
