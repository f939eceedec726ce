"""syft: Paillier-encrypted training of linear models on data the platform never sees.

Pure Python on numpy, phe and gmpy2; nothing here may import Django.
"""

from syft.encrypted import EncryptedArray, plaintext_matvec, stack
from syft.errors import (
    CiphertextNotInvertibleError,
    CiphertextOutOfRangeError,
    EncodingOverflowError,
    HeadroomExhaustedError,
    InsecureKeyError,
    InvalidDataError,
    KeyMismatchError,
    MalformedPayloadError,
    PayloadTooLargeError,
    ShapeMismatchError,
    SyftError,
    UnknownAlgorithmError,
    UnsupportedVersionError,
)
from syft.keys import (
    keypair_generate,
    private_key_from_bytes,
    private_key_to_bytes,
    public_key_fingerprint,
    public_key_from_dict,
    public_key_to_dict,
)
from syft.models import (
    ALGORITHMS,
    LinearModel,
    LinearRegression,
    LogisticRegression,
    OneVsOneLogisticRegression,
    OneVsRestLogisticRegression,
    SufficientStatistics,
    model_for,
)
from syft.parallel import get_workers, set_workers
from syft.privacy import PrivacyCost, privatize_statistics
from syft.validation import validate_ciphertexts
from syft.wire import (
    blob_address,
    encrypted_dumps,
    encrypted_from_bytes,
    encrypted_from_json,
    encrypted_loads,
    encrypted_to_bytes,
    encrypted_to_json,
)

__all__ = [
    "ALGORITHMS",
    "CiphertextNotInvertibleError",
    "CiphertextOutOfRangeError",
    "EncodingOverflowError",
    "EncryptedArray",
    "HeadroomExhaustedError",
    "InsecureKeyError",
    "InvalidDataError",
    "KeyMismatchError",
    "LinearModel",
    "LinearRegression",
    "LogisticRegression",
    "MalformedPayloadError",
    "OneVsOneLogisticRegression",
    "OneVsRestLogisticRegression",
    "PayloadTooLargeError",
    "PrivacyCost",
    "ShapeMismatchError",
    "SufficientStatistics",
    "SyftError",
    "UnknownAlgorithmError",
    "UnsupportedVersionError",
    "blob_address",
    "encrypted_dumps",
    "encrypted_from_bytes",
    "encrypted_from_json",
    "encrypted_loads",
    "encrypted_to_bytes",
    "encrypted_to_json",
    "get_workers",
    "keypair_generate",
    "model_for",
    "plaintext_matvec",
    "private_key_from_bytes",
    "private_key_to_bytes",
    "privatize_statistics",
    "public_key_fingerprint",
    "public_key_from_dict",
    "public_key_to_dict",
    "set_workers",
    "stack",
    "validate_ciphertexts",
]
