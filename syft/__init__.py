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
    SlotOutOfBoundError,
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
from syft.obfuscation import ObfuscationPool, pool_for, pools_fill
from syft.packing import PackedArray, pack, packed_decrypt
from syft.parallel import get_workers, set_workers
from syft.privacy import PrivacyCost, private_sufficient_statistics, privatize_statistics
from syft.scaling import FeatureScaling
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
from syft.wire_packed import gradient_loads, packed_dumps

__all__ = [
    "ALGORITHMS",
    "CiphertextNotInvertibleError",
    "CiphertextOutOfRangeError",
    "EncodingOverflowError",
    "EncryptedArray",
    "FeatureScaling",
    "HeadroomExhaustedError",
    "InsecureKeyError",
    "InvalidDataError",
    "KeyMismatchError",
    "LinearModel",
    "LinearRegression",
    "LogisticRegression",
    "MalformedPayloadError",
    "ObfuscationPool",
    "OneVsOneLogisticRegression",
    "OneVsRestLogisticRegression",
    "PackedArray",
    "PayloadTooLargeError",
    "PrivacyCost",
    "ShapeMismatchError",
    "SlotOutOfBoundError",
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
    "gradient_loads",
    "keypair_generate",
    "model_for",
    "pack",
    "packed_decrypt",
    "packed_dumps",
    "plaintext_matvec",
    "pool_for",
    "pools_fill",
    "private_key_from_bytes",
    "private_key_to_bytes",
    "private_sufficient_statistics",
    "privatize_statistics",
    "public_key_fingerprint",
    "public_key_from_dict",
    "public_key_to_dict",
    "set_workers",
    "stack",
    "validate_ciphertexts",
]
