"""The few ways a probe fails. Messages never carry a token."""


class DoctorError(Exception):
    """A probe gave no evidence."""


class DoctorConnectionError(DoctorError):
    """The peer did not answer usefully: refused, reset, timed out, HTTP 5xx."""


class DoctorAuthenticationError(DoctorError):
    """The peer refused the token (HTTP 401): it was revoked or is wrong."""


class DoctorResponseError(DoctorError):
    """The peer answered with something that is not what the protocol promises."""
