"""Every way syft can refuse an input, each a distinct class with a sentence for a message."""


class SyftError(ValueError):
    """Base class of every error syft raises on purpose."""


class InsecureKeyError(SyftError):
    """A Paillier key is shorter than 2048 bits and the explicit test flag was not given."""


class EncodingOverflowError(SyftError):
    """A value does not fit the plaintext space at the requested fixed-point scale."""


class CiphertextOutOfRangeError(SyftError):
    """A ciphertext is not strictly between 0 and n²."""


class CiphertextNotInvertibleError(SyftError):
    """A ciphertext shares a factor with n, so it is not a valid Paillier ciphertext."""


class ShapeMismatchError(SyftError):
    """An array has a different shape or number of values from the one expected."""


class KeyMismatchError(SyftError):
    """Ciphertexts or keys belong to a different Paillier key from the one expected."""


class PayloadTooLargeError(SyftError):
    """A payload is larger than the limit the caller set."""


class MalformedPayloadError(SyftError):
    """A payload is not valid JSON or binary wire format, or has wrong types or a bad checksum."""


class UnsupportedVersionError(SyftError):
    """A payload uses a wire format version this release of syft does not read."""


class HeadroomExhaustedError(SyftError):
    """The fixed-point scale has grown so far that one more operation could overflow."""


class InvalidDataError(SyftError):
    """Training data or plaintext values are unusable (not finite, wrong labels, bad arguments)."""


class UnknownAlgorithmError(SyftError):
    """An algorithm name is not one syft knows."""


class SlotOutOfBoundError(MalformedPayloadError):
    """A packed gradient decrypts to a value outside its declared bound: it is malformed.

    `reason` is a short code for the check that failed (declared_bound, overflow, slot_bound,
    layout) and `index` the first value that failed it, when there is one.
    """

    def __init__(self, message: str, reason: str, index: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.index = index
