"""Inbound mail: raw RFC 822 bytes → InboundEmail (`parse.parse`), one small module per job.

parse (orchestration) · inbound (the dataclasses) · headers / words (header text, addresses, ids, RFC 2047) ·
charsets / transfer (bytes → text, CTE decoding) · parts / body / attachments / filenames (the MIME tree) ·
sanitize / html_text (HTML for display and as text) · reports (bounces) · quotes (new-part view) · notes (problems).
"""
