"""The few ways a probe fails. Messages never carry a token."""


class DoctorError(Exception):
    """A probe gave no evidence."""


class DoctorConnectionError(DoctorError):
    """The peer did not answer usefully: refused, reset, timed out, HTTP 5xx."""


class DoctorGoneError(DoctorConnectionError):
    """Nothing answers where the peer describes itself (a router's description URL).

    The one failure that says the peer may have moved (miniupnpd takes a new port on
    every restart); a slow or refused call to a peer that was just described does not.
    """


class DoctorAuthenticationError(DoctorError):
    """The peer refused the token (HTTP 401): it was revoked or is wrong."""


class DoctorResponseError(DoctorError):
    """The peer answered with something that is not what the protocol promises."""
