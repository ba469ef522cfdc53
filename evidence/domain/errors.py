"""The one exception tree of the package.

Every error a user can cause or meet derives from :class:`EvidenceError`; the CLI
catches it once, prints ``str(error)`` on one line and exits with ``error.exit_code``.
Messages must never contain secrets (the NCBI API key).
"""

from __future__ import annotations


class EvidenceError(Exception):
    """Base class: a problem the user can understand and act on."""

    exit_code = 1


class ConfigError(EvidenceError):
    """Bad settings: an invalid URL, a missing file, an unusable option."""

    exit_code = 2


class ClaimsFileError(EvidenceError):
    """A claims file that cannot be read or does not validate."""

    exit_code = 2


class UnknownClaimError(EvidenceError):
    """A claim id that is not in the claims file or the database."""

    exit_code = 2


class PubMedError(EvidenceError):
    """E-utilities failed: the network, NCBI, or its answer."""


class TransientPubMedError(PubMedError):
    """A failure worth retrying (429, 5xx, cut body, connection reset...)."""


class PermanentPubMedError(PubMedError):
    """A failure retrying cannot fix (bad query syntax, 400, empty id list)."""


class ParseError(EvidenceError):
    """PubMed XML that cannot be parsed, or that is hostile."""


class StoreError(EvidenceError):
    """The database cannot be opened, migrated or written."""


class NothingStoredError(EvidenceError):
    """The database holds no claim set yet: nothing to report."""


class UnknownArticleError(EvidenceError):
    """No claim set with the slug asked for, or several and none asked for."""

    exit_code = 2


class ReportWriteError(EvidenceError):
    """The report folder or one of its files cannot be written."""


class ChromiumMissingError(EvidenceError):
    """``--pdf`` asked for, but no Chromium (or Chrome) is installed to print the HTML."""


class UnknownStudyError(EvidenceError):
    """A PMID that is not linked to the claim named."""

    exit_code = 2


class MissingReviewerError(EvidenceError):
    """A verdict without a reviewer name."""

    exit_code = 2


class InvalidVerdictError(EvidenceError):
    """A verdict that is not one of the allowed values."""

    exit_code = 2


class IncompleteRunError(EvidenceError):
    """A refresh finished but did not get every record it should have."""

    exit_code = 3
