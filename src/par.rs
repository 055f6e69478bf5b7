//! Work over a large slice on every core, with results kept in slice order.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Run `f` on consecutive shares of `items`, one share per core but at least
/// `min` items each (a small slice is one share, run on this thread), and
/// return the shares' results in order. `f` is given the index of its share's
/// first item. A share whose thread panicked is run again on this thread, so
/// that the panic surfaces as it would have without threads.
pub fn shares<T: Sync, R: Send>(
    items: &[T],
    min: usize,
    f: impl Fn(usize, &[T]) -> R + Sync,
) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let per = items.len().div_ceil(threads).max(min).max(1);
    if items.len() <= per {
        return vec![f(0, items)];
    }
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(per)
            .enumerate()
            .map(|(c, part)| (c * per, part, s.spawn(move || f(c * per, part))))
            .collect();
        handles
            .into_iter()
            .map(|(at, part, h)| h.join().unwrap_or_else(|_| f(at, part)))
            .collect()
    })
}

/// Run `f` on batches of `batch` consecutive items, taken in turn by a thread
/// per core as each finishes its last (so that uneven items keep every core
/// busy), while this thread first runs `side` and then takes batches too.
/// Returns the batches' results in order, and `side`'s. `f` is given the index
/// of its batch's first item. A batch left undone by a thread that panicked is
/// run again on this thread, so that the panic surfaces as it would have.
pub fn batches<T: Sync, R: Send, S>(
    items: &[T],
    batch: usize,
    f: impl Fn(usize, &[T]) -> R + Sync,
    side: impl FnOnce() -> S,
) -> (Vec<R>, S) {
    let batch = batch.max(1);
    let parts: Vec<&[T]> = items.chunks(batch).collect();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let slots: Vec<Mutex<Option<R>>> = parts.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let work = || loop {
        let b = next.fetch_add(1, Ordering::Relaxed);
        let Some(part) = parts.get(b) else { break };
        let got = f(b * batch, part);
        if let Ok(mut slot) = slots[b].lock() {
            *slot = Some(got);
        }
    };
    let side = std::thread::scope(|s| {
        let helpers: Vec<_> = (1..threads.min(parts.len()))
            .map(|_| s.spawn(work))
            .collect();
        let side = side();
        work();
        for h in helpers {
            // A panicked helper's batch is redone below.
            let _ = h.join();
        }
        side
    });
    let results = slots
        .into_iter()
        .zip(&parts)
        .enumerate()
        .map(|(b, (slot, part))| {
            slot.into_inner()
                .ok()
                .flatten()
                .unwrap_or_else(|| f(b * batch, part))
        })
        .collect();
    (results, side)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_keep_order_and_offsets() {
        let items: Vec<usize> = (0..10_000).collect();
        for min in [1, 7, 4096, 20_000] {
            let got: Vec<usize> = shares(&items, min, |at, part| {
                assert_eq!(part[0], at);
                part.to_vec()
            })
            .into_iter()
            .flatten()
            .collect();
            assert_eq!(got, items);
        }
        assert_eq!(shares(&[] as &[u8], 4, |_, p| p.len()), vec![0]);
    }

    #[test]
    fn batches_keep_order_and_offsets_and_run_the_side_job() {
        let items: Vec<usize> = (0..10_007).collect();
        for batch in [1, 7, 64, 20_000] {
            let (got, side) = batches(
                &items,
                batch,
                |at, part| {
                    assert_eq!(part[0], at);
                    assert!(part.len() <= batch);
                    part.to_vec()
                },
                || "side",
            );
            assert_eq!(side, "side");
            assert_eq!(got.len(), items.len().div_ceil(batch));
            assert_eq!(got.into_iter().flatten().collect::<Vec<_>>(), items);
        }
        let (none, side) = batches(&[] as &[u8], 4, |_, p| p.len(), || 1);
        assert!(none.is_empty());
        assert_eq!(side, 1);
    }
}
