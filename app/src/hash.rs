//! 64-bit FNV-1a, the pure core's one hash: the same on every platform and
//! in every version (unlike std's hasher), with no dependency and no
//! randomness. For ids, fingerprints and lookups, not for security.

/// FNV-1a's standard offset basis, the usual seed.
pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Hashes `bytes` on from `seed` ([`FNV_OFFSET`] for standard FNV-1a; a
/// previous result to go on hashing).
pub fn fnv1a(seed: u64, bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(seed, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME)
    })
}

/// Builds [`Fnv`] hashers, for maps keyed by short strings, where SipHash's
/// setup costs more than the lookup.
#[derive(Debug, Clone, Copy, Default)]
pub struct FnvBuild;

/// A `Hasher` over [`fnv1a`].
pub struct Fnv(u64);

impl std::hash::BuildHasher for FnvBuild {
    type Hasher = Fnv;
    fn build_hasher(&self) -> Fnv {
        Fnv(FNV_OFFSET)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = fnv1a(self.0, bytes.iter().copied());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_published_test_vectors() {
        // From the FNV reference (draft-eastlake-fnv): "" and "a".
        assert_eq!(fnv1a(FNV_OFFSET, *b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(FNV_OFFSET, *b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(FNV_OFFSET, *b"foobar"), 0x8594_4171_f739_67e8);
        // Hashing in pieces is hashing the whole.
        assert_eq!(
            fnv1a(fnv1a(FNV_OFFSET, *b"foo"), *b"bar"),
            fnv1a(FNV_OFFSET, *b"foobar")
        );
    }
}
