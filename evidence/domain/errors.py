"""The one exception tree of the package.

Every error a user can cause or meet derives from :class:`EvidenceError`; the CLI
catches it once, prints ``str(error)`` on one line and exits with ``error.exit_code``.
Messages must never contain secrets (the NCBI API key).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Self


class EvidenceError(Exception):
    """Base class: a problem the user can understand and act on."""

    exit_code = 1
    label = "Error"  # the word the CLI prints before the message


class ConfigError(EvidenceError):
    """Bad settings: an invalid URL, a missing file, an unusable option."""

    exit_code = 2


class ClaimsFileError(EvidenceError):
    """A claims file that cannot be read or does not validate."""

    exit_code = 2


class UnknownIdError(EvidenceError):
    """An id (claim, article, study) that is not known where it was looked for."""

    exit_code = 2

    @classmethod
    def of(cls, kind: str, value: str, known: Iterable[str], where: str = "") -> Self:
        """``unknown claim 'x' in FILE (known: a, b)``: the one wording of this error."""
        listed = ", ".join(known) or "none"
        return cls(f"unknown {kind} {value!r}{where} (known: {listed})")


class UnknownClaimError(UnknownIdError):
    """A claim id that is not in the claims file or the database."""


class SourceError(EvidenceError):
    """A search source failed: its service, its answer, or the records it sent."""


class PubMedError(SourceError):
    """E-utilities failed: the network, NCBI, or its answer."""


class SourceUnreachableError(PubMedError):
    """The source cannot be reached at all (DNS, TLS, refused connection): stop the refresh."""


class TransientPubMedError(PubMedError):
    """A failure worth retrying (429, 5xx, cut body, connection reset...)."""


class PermanentPubMedError(PubMedError):
    """A failure retrying cannot fix (bad query syntax, 400, empty id list)."""


class ParseError(SourceError):
    """PubMed XML that cannot be parsed, or that is hostile."""


class RetractionDataError(SourceError):
    """The Retraction Watch dataset could not be read (unreachable, not that CSV...)."""


class MirrorSearchError(SourceError):
    """The local PubMed mirror cannot answer a search (a field tag it does not index...)."""


class MirrorEmptyError(SourceUnreachableError):
    """The local PubMed mirror holds no records yet: stop the refresh."""


class MirrorLoadError(EvidenceError):
    """A mirror file that cannot be loaded: bad checksum, out of order, not PubMed XML."""

    exit_code = 2


class StoreError(EvidenceError):
    """The database cannot be opened, migrated or written."""


class NoDatabaseError(StoreError):
    """No database at the path given, and the command only reads."""


class SchemaVersionError(StoreError):
    """The database's schema is at another migration than this version's: older (only
    ``evidence db upgrade`` migrates it) or newer (a newer evidence wrote it). Exit 5."""

    exit_code = 5


class NothingStoredError(EvidenceError):
    """The database holds no claim set yet: nothing to report."""


class UnknownArticleError(UnknownIdError):
    """No claim set with the slug asked for, or several and none asked for."""


class ReportWriteError(EvidenceError):
    """The report folder or one of its files cannot be written."""


class ChromiumMissingError(EvidenceError):
    """``--pdf`` asked for, but no Chromium (or Chrome) is installed to print the HTML."""


class UnknownStudyError(UnknownIdError):
    """A PMID that is not linked to the claim named."""


class MissingReviewerError(EvidenceError):
    """A verdict without a reviewer name."""

    exit_code = 2


class InvalidVerdictError(EvidenceError):
    """A verdict that is not one of the allowed values."""

    exit_code = 2


class NeedsAttentionError(EvidenceError):
    """The refresh finished, and something behind a claim changed: a study newly retracted
    or flagged, or a claim's conclusion (exit 4, for cron). News, not a failure: its line
    starts "Changed"."""

    exit_code = 4
    label = "Changed"


class NothingToWithdrawError(EvidenceError):
    """Undo asked for, but the reviewer has no current verdict on the pair."""

    exit_code = 2


class NoConflictError(EvidenceError):
    """A resolution asked for on a study whose reviewers do not disagree."""

    exit_code = 2


class MissingReasonError(EvidenceError):
    """A resolution without its reason."""

    exit_code = 2


class NotAllowedError(EvidenceError):
    """The account's role does not allow the action (resolving conflicts: editors)."""

    exit_code = 2


class IncompleteRunError(EvidenceError):
    """A refresh finished but did not get every record it should have."""

    exit_code = 3


class AuditMismatchError(EvidenceError):
    """``audit verify`` found stored PMID sets that do not match their hashes or counts."""

    exit_code = 3


class DeadlineExceededError(EvidenceError):
    """The refresh's time budget (``--deadline``) ran out; what was done stays stored."""

    exit_code = 3


class RefreshLockedError(EvidenceError):
    """Another refresh holds this database's refresh lock (EX_TEMPFAIL: try again later)."""

    exit_code = 75


class AccountError(EvidenceError):
    """An account that cannot be added or changed: the name is taken or not valid, the
    password too short, the role unknown."""

    exit_code = 2


class TooLongError(EvidenceError):
    """A value longer than its field allows (a note, a reason, a search, a sign-in name);
    refused whole, never cut."""

    exit_code = 2


class UnknownAccountError(UnknownIdError):
    """No account with the name given."""


class UnsafeServeError(EvidenceError):
    """``evidence serve`` asked to listen beyond this machine with no way to tell who is who
    (no enabled account, no trusted proxy header): refused before it starts."""

    exit_code = 2


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised as an interrupt in the main thread so a refresh stops like on Ctrl-C."""
