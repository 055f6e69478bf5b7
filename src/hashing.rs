//! Hash maps and sets for the reader's, the graph's and the engines' indexes.
//!
//! Their keys are names, ARNs and IDs from the snapshot, hashed millions of times
//! on a large estate: foldhash is several times cheaper than the standard
//! library's SipHash there, and is still seeded at random per process, so an
//! adversary who names objects in the cluster cannot predict collisions.

/// The hasher of [`HashMap`] and [`HashSet`].
pub type RandomState = foldhash::fast::RandomState;

/// `std::collections::HashMap` with [`RandomState`]: build with `default()` or
/// `with_capacity_and_hasher(n, Default::default())`.
pub type HashMap<K, V> = std::collections::HashMap<K, V, RandomState>;

/// `std::collections::HashSet` with [`RandomState`].
pub type HashSet<K> = std::collections::HashSet<K, RandomState>;
